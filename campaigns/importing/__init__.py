"""Importing a Pix Orga export, after the parser (`campaigns.pix_export`) has read it:

- `keys`: how a row is known from one import to the next (participant, participation);
- `matching`: which agent a participant is;
- `campaign`: which campaign the export is of;
- `planning`: the first pass, shared by the preview and the import: checks, decisions, counts;
- `persistence`: the second pass, which writes (COPY on PostgreSQL).

The services that drive them are in `campaigns.services`.
"""
