"""The demo's accompaniment as plain data: the milestones, who is seen and which barriers
they name (weights by status at the milestone), the wording of comments and next steps, the
catalogue of resources, and the demo agent's story. `accompaniment` writes them."""

from dataclasses import dataclass

from programmes.enums import ProgressStatus, ResourceKind

# Who is seen at a milestone: most of those who have not started or have stalled.
SEEN = {
    ProgressStatus.NOT_STARTED: 0.85,
    ProgressStatus.STALLED: 0.85,
    ProgressStatus.IN_PROGRESS: 0.3,
    ProgressStatus.TARGET_REACHED: 0.15,
}
KEEPS_BARRIERS = 0.6  # still not progressing at the second milestone: same barriers

TIME = "Manque de temps"
ACCESS = "Difficulté d'accès ou de compte"
HARD = "Contenu trop difficile"
PURPOSE = "Finalité peu claire"
APPREHENSION = "Appréhension du numérique"
ACCESSIBILITY = "Besoin d'accessibilité"
WORKLOAD = "Charge de travail"
ABSENCE = "Absence"
OTHER = "Autre"

# Barrier weights by status at the milestone.
BARRIER_WEIGHTS = {
    ProgressStatus.NOT_STARTED: (
        (TIME, 30), (ACCESS, 18), (PURPOSE, 14), (APPREHENSION, 14), (WORKLOAD, 16),
        (ABSENCE, 5), (ACCESSIBILITY, 2), (OTHER, 3),
    ),
    ProgressStatus.STALLED: (
        (TIME, 26), (HARD, 28), (WORKLOAD, 18), (APPREHENSION, 8), (PURPOSE, 6),
        (ACCESS, 6), (ABSENCE, 5), (OTHER, 3),
    ),
    ProgressStatus.IN_PROGRESS: ((TIME, 20), (HARD, 16), (WORKLOAD, 10), (ACCESS, 4)),
    ProgressStatus.TARGET_REACHED: ((TIME, 10), (WORKLOAD, 5)),
}  # fmt: skip
# How many barriers: (count, weight) by status.
BARRIER_COUNTS = {
    ProgressStatus.NOT_STARTED: ((0, 8), (1, 62), (2, 30)),
    ProgressStatus.STALLED: ((0, 8), (1, 60), (2, 32)),
    ProgressStatus.IN_PROGRESS: ((0, 55), (1, 40), (2, 5)),
    ProgressStatus.TARGET_REACHED: ((0, 80), (1, 20)),
}

COMMENTS = {
    TIME: (
        "Période très chargée avec la clôture budgétaire, souhaite reprendre après.",
        "N'arrive pas à dégager un créneau, propose de bloquer 30 minutes par semaine.",
        "Intéressé·e mais toujours repoussé par les urgences du service.",
    ),
    ACCESS: (
        "N'a pas reçu le lien de la campagne, ou l'a perdu.",
        "Compte Pix créé avec une adresse personnelle, à rattacher à la campagne.",
        "Le poste bloque l'accès au site Pix, ticket ouvert auprès du support.",
    ),
    HARD: (
        "Bloqué·e sur les questions de sécurité, se sent en difficulté.",
        "A trouvé les épreuves du niveau 3 déroutantes et s'est arrêté·e.",
        "Découragé·e après un premier niveau, craint de ne pas progresser.",
    ),
    PURPOSE: (
        "Ne voit pas à quoi cela sert dans son poste, à expliquer.",
        "Pense que les résultats seront utilisés pour son évaluation.",
    ),
    APPREHENSION: (
        "Peu à l'aise avec l'ordinateur, redoute d'être jugé·e.",
        "Préfère être accompagné·e pour la première connexion.",
    ),
    ACCESSIBILITY: ("Utilise un lecteur d'écran : vérifier l'accessibilité des épreuves.",),
    WORKLOAD: (
        "Équipe en sous-effectif ce trimestre.",
        "Charge de travail élevée avec les campagnes en cours.",
    ),
    ABSENCE: ("Absent·e plusieurs semaines, reprise prévue prochainement.",),
    OTHER: ("Situation particulière évoquée en entretien.",),
}
COMMENTS_WITHOUT_BARRIER = {
    ProgressStatus.NOT_STARTED: ("Prêt·e à commencer, attendait simplement le lien.",),
    ProgressStatus.STALLED: ("Pas de difficulté particulière, a simplement décroché.",),
    ProgressStatus.IN_PROGRESS: (
        "Progresse régulièrement, motivé·e.",
        "A envoyé ses résultats, vise le niveau suivant en sécurité.",
    ),
    ProgressStatus.TARGET_REACHED: (
        "Objectifs atteints, prêt·e à aider des collègues.",
        "Objectifs atteints, souhaite aller plus loin.",
    ),
}
NEXT_STEPS = {
    ProgressStatus.NOT_STARTED: (
        "Créer son compte Pix et rejoindre la campagne avec le code DREETSCOL26",
        "Réserver 30 minutes dans l'agenda pour un premier test Pix",
        "Participer à l'atelier « Découvrir Pix » avec l'ambassadeur",
    ),
    ProgressStatus.STALLED: (
        "Reprendre le parcours là où il s'est arrêté et envoyer ses résultats",
        "Suivre le tutoriel Pix de la compétence bloquante, puis retenter",
        "Rencontrer un compagnon pour un premier échange",
    ),
    ProgressStatus.IN_PROGRESS: (
        "Envoyer ses résultats à la fin du parcours",
        "Suivre une ressource du catalogue sur la compétence visée",
    ),
    ProgressStatus.TARGET_REACHED: ("Se proposer comme compagnon sur une compétence",),
}


@dataclass(frozen=True)
class ResourceSpec:
    title: str
    kind: str
    competences: tuple[str, ...]
    level_min: int
    level_max: int
    url: str
    duration_minutes: int | None
    provider: str
    description: str


INTRANET = "https://intranet.exemple.gouv.fr/numerique"
RESOURCES = (
    ResourceSpec(
        "Bien chercher sur le web et dans l'intranet", ResourceKind.INTRANET, ("1.1",), 1, 3,
        f"{INTRANET}/rechercher-information", 20, "Intranet DREETS",
        "Moteurs de recherche, opérateurs, sources fiables et veille avec des alertes.",
    ),
    ResourceSpec(
        "Tutoriel Pix — mener une recherche et une veille", ResourceKind.PIX_TUTORIAL,
        ("1.1",), 2, 4, "https://tutoriels.pix.exemple.fr/1-1-recherche-veille", 15, "Pix",
        "Les tutoriels Pix recommandés après la campagne, pour la compétence 1.1.",
    ),
    ResourceSpec(
        "Ranger et partager ses fichiers sur l'espace collaboratif", ResourceKind.INTRANET,
        ("1.2", "2.2"), 1, 3, f"{INTRANET}/fichiers-partages", 25, "Intranet DREETS",
        "Arborescence, nommage des fichiers, droits d'accès et partage de liens.",
    ),
    ResourceSpec(
        "Tableur : les fonctions essentielles", ResourceKind.ELEARNING, ("1.3",), 2, 4,
        "https://formation.exemple.gouv.fr/tableur-essentiel", 90, "CNFPT",
        "Formules, tris, filtres et tableaux croisés dynamiques pas à pas.",
    ),
    ResourceSpec(
        "Messagerie et agenda partagés : les bons usages", ResourceKind.TRAINING,
        ("2.1",), 1, 3, "https://formation.exemple.gouv.fr/messagerie-agenda", 180, "IRA",
        "Demi-journée en présentiel : règles de messagerie, agendas partagés, invitations.",
    ),
    ResourceSpec(
        "Travailler à plusieurs sur un document en ligne", ResourceKind.ELEARNING,
        ("2.3",), 1, 4, "https://formation.exemple.gouv.fr/coedition", 45, "CNFPT",
        "Coédition, commentaires, suivi des modifications et versions.",
    ),
    ResourceSpec(
        "Traitement de texte : styles, tables des matières et modèles",
        ResourceKind.TRAINING, ("3.1", "3.3"), 2, 4,
        "https://formation.exemple.gouv.fr/traitement-texte", 360, "IRA",
        "Une journée pour produire des documents longs propres et accessibles.",
    ),
    ResourceSpec(
        "Tutoriel Pix — développer des documents textuels", ResourceKind.PIX_TUTORIAL,
        ("3.1",), 1, 3, "https://tutoriels.pix.exemple.fr/3-1-documents-textuels", 15, "Pix",
        "Mise en forme, styles et export en PDF.",
    ),
    ResourceSpec(
        "Cybersécurité : les réflexes au quotidien", ResourceKind.ELEARNING, ("4.1",), 1, 3,
        "https://formation.exemple.gouv.fr/cybersecurite-reflexes", 60, "CNFPT",
        "Mots de passe, hameçonnage, mises à jour et verrouillage du poste.",
    ),
    ResourceSpec(
        "Sécuriser son poste et ses échanges : la page du RSSI", ResourceKind.INTRANET,
        ("4.1", "4.2"), 2, 4, f"{INTRANET}/securite-poste", 20, "Intranet DREETS",
        "Les consignes du responsable de la sécurité des systèmes d'information.",
    ),
    ResourceSpec(
        "Tutoriel Pix — protéger ses données personnelles", ResourceKind.PIX_TUTORIAL,
        ("4.2",), 1, 4, "https://tutoriels.pix.exemple.fr/4-2-donnees-personnelles", 15,
        "Pix", "Traces numériques, paramètres de confidentialité et RGPD au quotidien.",
    ),
    ResourceSpec(
        "Sécurité des systèmes d'information : niveau avancé", ResourceKind.TRAINING,
        ("4.1",), 4, 6, "https://formation.exemple.gouv.fr/ssi-avance", 720, "CNFPT",
        "Deux jours pour les informaticien·ne·s : durcissement, journaux et incidents.",
    ),
    ResourceSpec(
        "Initiation à la programmation en Python", ResourceKind.ELEARNING, ("3.4",), 3, 6,
        "https://formation.exemple.gouv.fr/python-initiation", 480, "IRA",
        "Variables, boucles, fonctions et scripts d'automatisation.",
    ),
    ResourceSpec(
        "Résoudre les problèmes courants : le guide du support", ResourceKind.INTRANET,
        ("5.1", "5.2"), 2, 5, f"{INTRANET}/guide-support", 30, "Intranet DREETS",
        "Diagnostiquer une panne, redémarrer proprement, bien décrire un ticket.",
    ),
    ResourceSpec(
        "Compagnonnage numérique entre collègues", ResourceKind.MENTORING,
        ("1.1", "2.1", "3.1", "4.1"), 1, 4, f"{INTRANET}/compagnonnage", 60,
        "Réseau des ambassadeurs Pix",
        "Une heure avec un·e collègue volontaire qui a atteint l'objectif sur la compétence.",
    ),
)  # fmt: skip

# Léa Fontanel, the demo agent: what she did with the catalogue and her security gap.
LEA_DONE = "Bien chercher sur le web et dans l'intranet"
LEA_STARTED = "Cybersécurité : les réflexes au quotidien"
LEA_GAP = "4.1"
MENTOR_COMPETENCES = ("4.1", "1.1", "3.1", "2.1", "5.1")
MENTORS_PER_COMPETENCE = 2
OTHER_USES = 45
