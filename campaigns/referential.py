"""Pix's referential: 5 domains, 16 competences, and the names they have carried.

Pure data and a name normaliser, free of the ORM: the data migration loads it and the
export parser matches header names against it.
"""

import re
import unicodedata

# Highest level in the referential; level 7 is the highest reachable today.
MAX_LEVEL = 8
PIX_PER_LEVEL = 8

DOMAINS = [
    # (code, name, former names)
    ("1", "Informations et données", ["Information et données"]),
    ("2", "Communication et collaboration", []),
    ("3", "Création de contenu", []),
    ("4", "Protection et sécurité", []),
    ("5", "Environnement numérique", []),
]

COMPETENCES = [
    # (code, name, Pix record id, former names)
    ("1.1", "Mener une recherche et une veille d'information", "recsvLz0W2ShyfD63", []),
    ("1.2", "Gérer des données", "recIkYm646lrGvLNT", []),
    ("1.3", "Traiter des données", "recNv8qhaY887jQb2", []),
    ("2.1", "Interagir", "recDH19F7kKrfL3Ii", []),
    ("2.2", "Partager et publier", "recgxqQfz3BqEbtzh", []),
    ("2.3", "Collaborer", "recMiZPNl7V1hyE1d", []),
    ("2.4", "S'insérer dans le monde numérique", "recFpYXCKcyhLI3Nu", []),
    ("3.1", "Développer des documents textuels", "recOdC9UDVJbAXHAm", []),
    ("3.2", "Développer des documents multimédia", "recbDTF8KwupqkeZ6", []),
    ("3.3", "Adapter les documents à leur finalité", "recHmIWG6D0huq6Kx", []),
    ("3.4", "Programmer", "rece6jYwH4WEw549z", []),
    ("4.1", "Sécuriser l'environnement numérique", "rec6rHqas39zvLZep", []),
    (
        "4.2",
        "Protéger les données personnelles et la vie privée",
        "recofJCxg0NqTqTdP",
        [],
    ),
    (
        "4.3",
        "Se protéger des risques",
        "recfr0ax8XrfvJ3ER",
        ["Protéger la santé, le bien-être et l'environnement"],
    ),
    ("5.1", "Résoudre des problèmes techniques", "recIhdrmCuEmCDAzj", []),
    (
        "5.2",
        "Construire un environnement numérique",
        "recudHE5Omrr10qrx",
        ["Évoluer dans un environnement numérique"],
    ),
]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})


def normalize_name(name: str) -> str:
    """Fold a competence or domain name for matching: case, accents, apostrophes, spaces."""
    text = unicodedata.normalize("NFKD", name.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().casefold()


def level_for_pix(pix: int) -> int:
    """Pix's rule: 8 pix make a level."""
    return max(0, pix) // PIX_PER_LEVEL
