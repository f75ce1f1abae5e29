"""RoadExtract's GUI: the plugin object (menus, toolbar), the settings dialog and the
interactive extraction dock and map tool. Nothing runs at import."""
