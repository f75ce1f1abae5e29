"""RoadExtract Processing algorithms."""
