"""The demo's raw data: settings, the organisation chart as text, the name lists and the
programme's wording. Plain values only; `plan` turns them into units and agents."""

SEED = 2026
DEMO_PASSWORD = "demo-pix-2026"  # noqa: S105 - public demo password, printed on purpose
EMAIL_DOMAIN = "dreets-demo.gouv.fr"
SITE_URL = "http://127.0.0.1:8000"
ADMIN_LOGIN = "admin@demo.gouv.fr"

PROGRAMME_SLUG = "pix-pour-tous-2026"
PROGRAMME_NAME = "Pix pour tous — compétences numériques 2026"

# A second programme, of another owner, and an ambassador of one population only: the
# boundaries between programmes and populations show on the demo (DESIGN, "Privacy").
SECOND_PROGRAMME_SLUG = "numerique-pole-3e-2026"
SECOND_PROGRAMME_NAME = "Transformation numérique du Pôle 3E — 2026"
SECOND_PROGRAMME_DESCRIPTION = (
    "Un projet managérial du Pôle Entreprises, emploi et économie : chaque agent du pôle "
    "atteint les niveaux attendus pour la dématérialisation des dossiers. Ses encadrant·e·s "
    "voient les résultats individuels et s'en servent pour les entretiens professionnels."
)
SECOND_OWNER_LOGIN = "pilote.p3e@demo.gouv.fr"
SECOND_AMBASSADOR_LOGIN = "ambassadeur.p3e@demo.gouv.fr"
# Ambassador of the « Encadrant·e·s du secrétariat général » population of the first
# programme only (POPULATIONS[1]).
SINGLE_AMBASSADOR_LOGIN = "ambassadeur.encadrants@demo.gouv.fr"

# Job titles the populations and the demo cast are defined by; the chart below uses them.
ASSISTANT = "Assistant·e de service"
BUREAU_HEAD = "Chef·fe de bureau"
SECRETARY_GENERAL = "Secrétaire général·e"
DIGITAL_OFFICER = "Chargé·e de mission transformation numérique"
# Heads and deputies: who the general secretariat's « Encadrant·e·s » population gathers.
MANAGER_TITLES = frozenset(
    {
        SECRETARY_GENERAL,
        "Secrétaire général·e adjoint·e",
        BUREAU_HEAD,
        "Adjoint·e au chef·fe de bureau",
        "Chef·fe de section",
        "Chef·fe de mission",
        "Chef·fe de cellule",
    }
)

# The organisation chart, one unit per "CODE: name" line, nested by two spaces; under it,
# "head:" is its head's job title and "staff:" the other agents, as "job title ×count".
# Everyone reports to the head of their unit; a head reports to the head of the parent unit.
# The departmental units of the labour inspection are generated (see DEPARTEMENTS).
ORG_CHART = """
DREETS-OCC: DREETS Occitanie — Direction régionale de l'économie, de l'emploi, du travail \
et des solidarités
  head: Directeur·rice régional·e
  staff: Directeur·rice régional·e adjoint·e ×2 ; Assistant·e de direction ×2 ; \
Chargé·e de mission ×2
  SG: Secrétariat général
    head: Secrétaire général·e
    staff: Secrétaire général·e adjoint·e ×1 ; Assistant·e de direction ×1
    SG-BAA: Bureau de l'appui administratif et du courrier
      head: Chef·fe de bureau
      staff: Assistant·e de service ×7 ; Agent·e d'accueil ×2 ; Gestionnaire courrier ×1
    SG-BRH: Bureau des ressources humaines
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1 ; Assistant·e de service ×1
      SG-BRH-GA: Section gestion administrative des personnels
        head: Chef·fe de section
        staff: Gestionnaire ressources humaines ×6
      SG-BRH-PAIE: Section paie et rémunérations
        head: Chef·fe de section
        staff: Gestionnaire paie ×4
      SG-BRH-FOR: Section formation et compétences
        head: Chef·fe de section
        staff: Conseiller·ère formation ×2 ; Gestionnaire formation ×2
      SG-BRH-REC: Section recrutement et mobilités
        head: Chef·fe de section
        staff: Chargé·e de recrutement ×2 ; Gestionnaire ressources humaines ×2
      SG-BRH-ASP: Section action sociale, santé et sécurité au travail
        head: Chef·fe de section
        staff: Assistant·e social·e du personnel ×2 ; Conseiller·ère de prévention ×1 ; \
Gestionnaire ressources humaines ×1
    SG-BFB: Bureau des finances et du budget
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1
      SG-BFB-PRG: Section programmation et pilotage budgétaire
        head: Chef·fe de section
        staff: Chargé·e de contrôle de gestion ×2 ; Gestionnaire budgétaire et comptable ×2
      SG-BFB-MS: Section pilotage de la masse salariale
        head: Chef·fe de section
        staff: Chargé·e du pilotage de la masse salariale ×2
      SG-BFB-DEP: Section exécution de la dépense (Chorus)
        head: Chef·fe de section
        staff: Gestionnaire budgétaire et comptable ×7
    SG-BMG: Bureau des moyens généraux et de l'immobilier
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1
      SG-BMG-LOG: Section logistique
        head: Chef·fe de section
        staff: Agent·e logistique ×4 ; Conducteur·rice ×1
      SG-BMG-IMM: Section immobilier et sécurité des locaux
        head: Chef·fe de section
        staff: Chargé·e de l'immobilier ×2 ; Chargé·e de la sécurité des locaux ×1
    SG-BAJ: Bureau des affaires juridiques
      head: Chef·fe de bureau
      staff: Adjoint·e au chef·fe de bureau ×1 ; Juriste ×4
    SG-BAP: Bureau des achats publics
      head: Chef·fe de bureau
      staff: Acheteur·se public·que ×3
    SG-BPCI: Bureau du pilotage, de la performance et du contrôle interne
      head: Chef·fe de bureau
      staff: Chargé·e de contrôle interne ×2 ; Chargé·e de mission ×2
    SG-MMN: Mission modernisation et transformation numérique
      head: Chef·fe de mission
      staff: Chargé·e de mission transformation numérique ×2 ; Chargé·e de mission qualité ×1
    SG-CAD: Cellule archives et documentation
      head: Chef·fe de cellule
      staff: Documentaliste ×2 ; Archiviste ×1
  P3E: Pôle Entreprises, emploi et économie (Pôle 3E)
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    P3E-DEC: Service développement de l'emploi et des compétences
      head: Chef·fe de service
      staff: Chargé·e de développement de l'emploi et des territoires ×9 ; \
Assistant·e de service ×1
    P3E-DEM: Service développement économique et mutations
      head: Chef·fe de service
      staff: Chargé·e de mission développement économique ×6 ; \
Chargé·e de mission mutations économiques ×5
    P3E-FPA: Service formation professionnelle et apprentissage
      head: Chef·fe de service
      staff: Chargé·e de mission ×7 ; Gestionnaire administratif·ve ×6 ; \
Assistant·e de service ×1
    P3E-SRC: Service régional de contrôle de la formation professionnelle
      head: Chef·fe de service
      staff: Inspecteur·rice de la formation professionnelle ×7 ; \
Contrôleur·se de la formation professionnelle ×3 ; Assistant·e de service ×1
    P3E-FSE: Service Fonds social européen (FSE+)
      head: Chef·fe de service
      staff: Chargé·e de gestion FSE+ ×10 ; Contrôleur·se de service fait ×5 ; \
Assistant·e de service ×1
    P3E-IAE: Service insertion par l'activité économique
      head: Chef·fe de service
      staff: Chargé·e de mission insertion ×5 ; Gestionnaire administratif·ve ×3
  PT: Pôle Travail
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    PT-AAI: Service appui et animation du système d'inspection du travail
      head: Chef·fe de service
      staff: Chargé·e de mission ×6
    PT-RDS: Service relations du travail et dialogue social
      head: Chef·fe de service
      staff: Chargé·e de mission dialogue social ×5 ; Gestionnaire administratif·ve ×3 ; \
Assistant·e de service ×1
    PT-SST: Service santé et sécurité au travail
      head: Chef·fe de service
      staff: Ingénieur·e de prévention ×6 ; Médecin inspecteur·rice du travail ×2 ; \
Assistant·e de service ×1
    PT-MOE: Service main-d'œuvre étrangère
      head: Chef·fe de service
      staff: Gestionnaire administratif·ve ×10 ; \
Instructeur·rice des autorisations de travail ×5
    PT-URACTI: Unité régionale d'appui et de contrôle du travail illégal (URACTI)
      head: Responsable d'unité de contrôle
      staff: Inspecteur·rice du travail ×7 ; Contrôleur·se du travail ×2
  PS: Pôle Solidarités
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    PS-HLI: Service hébergement, logement et inclusion
      head: Chef·fe de service
      staff: Inspecteur·rice de l'action sanitaire et sociale ×5 ; Chargé·e de mission ×5 ; \
Assistant·e de service ×1
    PS-PMV: Service protection des majeurs vulnérables
      head: Chef·fe de service
      staff: Inspecteur·rice de l'action sanitaire et sociale ×4 ; \
Gestionnaire administratif·ve ×4
    PS-PVP: Service politique de la ville et lutte contre la pauvreté
      head: Chef·fe de service
      staff: Chargé·e de mission ×6 ; Assistant·e de service ×1
    PS-CFS: Service certification et formations sociales
      head: Chef·fe de service
      staff: Chargé·e de certification ×5 ; Gestionnaire administratif·ve ×5 ; \
Assistant·e de service ×1
    PS-IAD: Service intégration des étrangers et accès aux droits
      head: Chef·fe de service
      staff: Chargé·e de mission ×5 ; Gestionnaire administratif·ve ×3
  PC: Pôle Concurrence, consommation, répression des fraudes et métrologie (Pôle C)
    head: Chef·fe de pôle
    staff: Adjoint·e au chef·fe de pôle ×1 ; Assistant·e de service ×2
    PC-CONC: Service concurrence
      head: Chef·fe de service
      staff: Enquêteur·rice de la concurrence ×7
    PC-PEC: Service protection économique du consommateur
      head: Chef·fe de service
      staff: Inspecteur·rice de la CCRF ×7 ; Assistant·e de service ×1
    PC-SEC: Service sécurité des produits
      head: Chef·fe de service
      staff: Inspecteur·rice de la CCRF ×6
    PC-MET: Service métrologie légale
      head: Chef·fe de service
      staff: Technicien·ne de métrologie ×6 ; Assistant·e de service ×1
  SIC: Service des systèmes d'information et de communication (SIC)
    head: Chef·fe du service des systèmes d'information
    staff: Responsable de la sécurité des systèmes d'information ×1 ; \
Chef·fe de projet informatique ×1
    SIC-SUP: Bureau support et proximité
      head: Chef·fe de bureau
      staff: Technicien·ne informatique ×9 ; Technicien·ne téléphonie et visioconférence ×1
    SIC-INF: Bureau infrastructures et réseaux
      head: Chef·fe de bureau
      staff: Administrateur·rice systèmes et réseaux ×7
    SIC-APP: Bureau applications et données
      head: Chef·fe de bureau
      staff: Développeur·se ×4 ; Chef·fe de projet informatique ×2 ; \
Administrateur·rice de données ×1
  COM: Service communication
    head: Chef·fe de service
    staff: Chargé·e de communication ×3 ; Webmestre ×1 ; Graphiste ×1 ; \
Assistant·e de service ×1
  SESE: Service études, statistiques et évaluation (SESE)
    head: Chef·fe de service
    staff: Chargé·e d'études statistiques ×8 ; Statisticien·ne ×2
  UD: Inspection du travail — unités départementales
    head: Coordinateur·rice des unités départementales
    staff: Chargé·e de mission ×1
"""

# Départements of Occitanie: number, name with its preposition, number of control units.
DEPARTEMENTS = (
    ("09", "de l'Ariège", 1),
    ("11", "de l'Aude", 2),
    ("12", "de l'Aveyron", 1),
    ("30", "du Gard", 3),
    ("31", "de la Haute-Garonne", 4),
    ("32", "du Gers", 1),
    ("34", "de l'Hérault", 4),
    ("46", "du Lot", 1),
    ("48", "de la Lozère", 1),
    ("65", "des Hautes-Pyrénées", 1),
    ("66", "des Pyrénées-Orientales", 2),
    ("81", "du Tarn", 2),
    ("82", "de Tarn-et-Garonne", 1),
)
DEPARTMENTAL_STAFF = (
    (ASSISTANT, 1),
    ("Gestionnaire administratif·ve", 3),
    ("Agent·e du service de renseignement en droit du travail", 3),
    ("Chargé·e de mission", 2),
)
CONTROL_UNIT_STAFF = (("Inspecteur·rice du travail", 8), ("Contrôleur·se du travail", 3))


def _names(text):
    return tuple(name.strip() for name in text.split(","))


FIRST_NAMES = _names(
    "Camille, Nicolas, Julie, Thomas, Sandrine, Stéphane, Nathalie, Christophe, Isabelle, "
    "Sébastien, Céline, Frédéric, Aurélie, Laurent, Émilie, Julien, Caroline, Olivier, "
    "Virginie, David, Sophie, Pierre, Hélène, Jérôme, Audrey, Vincent, Marion, Guillaume, "
    "Claire, Mathieu, Anne, François, Valérie, Philippe, Laetitia, Cédric, Élodie, Arnaud, "
    "Delphine, Benoît, Karine, Fabien, Stéphanie, Romain, Mélanie, Alexandre, Chloé, Antoine, "
    "Pauline, Maxime, Sarah, Damien, Charlotte, Yannick, Agnès, Hugo, Manon, Lucas, Inès, "
    "Karim, Amandine, Mehdi, Fatima, Rachid, Leïla, Samir, Myriam, Youssef, Nadia, Mamadou, "
    "Aïcha, Kevin, Laura, Jean-Marc, Marie-Claire, Jean-Luc, Anne-Sophie, Pascal, Martine, "
    "Éric, Sylvie, Patrick, Catherine, Thierry, Christine, Didier, Véronique, Alain, Brigitte, "
    "Gilles, Corinne, Bruno, Florence, Marc, Béatrice, Franck, Muriel, Hervé, Patricia, "
    "Yves, Dominique, Joël, Sylvain, Lucie, Quentin, Margaux, Adrien, Océane, Baptiste, "
    "Clémence, Florian, Justine, Jordan, Anaïs, Mathilde, Xavier, Gaëlle, Ludovic, Coralie, "
    "Thi Lan, Minh, Jessica, Grégory, Estelle, Loïc, Nolwenn, Gwenaël, Maëlle, Ghislaine"
)
LAST_NAMES = _names(
    "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, "
    "Laurent, Lefebvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, "
    "Girard, André, Lefèvre, Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, "
    "Garnier, Faure, Rousseau, Blanc, Guérin, Muller, Henry, Roussel, Nicolas, Perrin, Morin, "
    "Mathieu, Clément, Gauthier, Dumont, Lopez, Fontaine, Chevalier, Robin, Masson, Sanchez, "
    "Gérard, Nguyen, Boyer, Denis, Lemaire, Duval, Joly, Gautier, Roger, Roche, Roy, Noël, "
    "Meyer, Lucas, Meunier, Jean, Pérez, Marchand, Dufour, Blanchard, Marie, Barbier, Brun, "
    "Dumas, Brunet, Schmitt, Leroux, Colin, Fernandez, Pierre, Renard, Arnaud, Rolland, "
    "Caron, Aubert, Giraud, Leclerc, Vidal, Bourgeois, Renaud, Lemoine, Picard, Gaillard, "
    "Philippe, Leclercq, Lacroix, Fabre, Dupuis, Olivier, Rodriguez, Da Silva, Hubert, Louis, "
    "Charles, Guillot, Rivière, Le Gall, Guillaume, Adam, Rey, Moulin, Gonzalez, Berger, "
    "Lecomte, Menard, Fleury, Deschamps, Carpentier, Julien, Benoît, Paris, Maillard, "
    "Marchal, Aubry, Vasseur, Le Roux, Renault, Jacquet, Collet, Prévost, Poirier, Charpentier, "
    "Royer, Huet, Baron, Dupuy, Pons, Paul, Laine, Carré, Breton, Rémy, Schneider, Perrot, "
    "Barré, Marty, Cousin, Benali, Haddad, Diallo, Traoré, Mendes, Ferreira, Pereira, "
    "Bensaïd, Cherif, Mansouri, Tran, Pham, Kone, N'Diaye, Bouvier, Chauvet, Delmas, Azéma, "
    "Bousquet, Cazeneuve, Lafon, Castan, Soulié, Pujol, Vialaret, Combes, Fabié, Garrigues, "
    "Tournier, Bonnafous, Vidalou, Maurel, Rouquette, Salvan, Escande, Cabrol, Puech, Calmels"
)
PROGRAMME_DESCRIPTION = (
    "Programme d'auto-positionnement : chaque agent concerné mesure ses compétences "
    "numériques sur Pix, dans son propre intérêt, et progresse vers le niveau attendu pour "
    "sa population avec l'appui des ambassadeurs Pix. Il n'y a pas de projet managérial : "
    "les résultats individuels ne sont vus que par l'agent et par l'ambassadeur de sa "
    "population. L'encadrement et la pilote voient des résultats agrégés (jamais pour un "
    "groupe de moins de 5 agents), sauf si l'agent choisit de partager les siens avec son "
    "encadrant."
)
