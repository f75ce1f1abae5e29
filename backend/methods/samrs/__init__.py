"""SAMRS box-to-mask (papers/samrs.txt): detection boxes with classes -> instance masks.

Modules:
    geometry     the raster's pixel frame, box layers read into it, H-Box / RH-Box / CP
    prompts      SAMRS Table 1 prompt modes -> SAM prompts (points, boxes, mask logits)
    chips        which image chips are encoded and which boxes each one decodes
    rasterize    masks -> polygons, polygons -> label / instance rasters
    box_to_mask  the ``box_to_mask`` job (polygons, optional rasters, SAMRS dataset export)
    annotations  DOTA / DIOR / FAIR1M / iSAID annotation importers (``import_box_annotations``)
"""
