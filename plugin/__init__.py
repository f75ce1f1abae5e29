"""QGIS-side code of RoadExtract: settings, backend lifecycle, HTTP client, layers, GUI.

Imports only qgis, qgis.PyQt, requests and the standard library. Nothing runs at import.
"""
