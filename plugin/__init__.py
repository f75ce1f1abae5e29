"""QGIS-side core of RoadExtract, without widgets: settings, backend lifecycle, HTTP client,
the job requests (the contract), layers, translations and resources.

Imports only qgis, qgis.PyQt, requests and the standard library. Nothing runs at import.
"""
