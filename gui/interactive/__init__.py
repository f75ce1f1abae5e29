"""Interactive extraction on the map canvas (issue #6): prompts, rounds, preview, accept.

Modules:

- :mod:`.frame`: raster pixel frame (geotransform and its inverse) and canvas <-> pixel
  transforms;
- :mod:`.session`: the prompt session model (prompts, undo/redo/clear, rounds, results),
  free of Qt widgets;
- :mod:`.geometry`: GeoJSON answers -> QgsGeometry, simplification in metres;
- :mod:`.writer`: accepting a result into a target layer (fields, CRS, undo stack);
- :mod:`.controller`: encode and predict requests in background tasks;
- :mod:`.map_tool` and :mod:`.dock`: the canvas tool and the dock widget.

Nothing runs at import.
"""
