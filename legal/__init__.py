"""The pages a State service must publish: the accessibility statement (editable by staff in
the admin), the legal notice (from settings) and the site map; the footer links to them and
to the data-protection page (programmes.privacy)."""
