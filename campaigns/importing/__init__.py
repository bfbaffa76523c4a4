"""Importing a Pix Orga export, after the parser (`campaigns.pix_export`) has read it:

- `keys`: how a row is known from one import to the next (participant, participation);
- `matching`: which agent a participant is;
- `campaign`: which campaign the export is of;
- `planning`: the one pass over the file, shared by the preview and the import: checks,
  decisions, counts;
- `persistence`: the import's writer, fed by that pass as it goes: only what changed is
  written (COPY on PostgreSQL).

The services that drive them are in `campaigns.services`.
"""
