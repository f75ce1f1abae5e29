"""RoadExtract Processing provider (toolbox, batch, models, qgis_process)."""
