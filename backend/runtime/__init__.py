"""The backend's ground floor: compute device and job progress. No torch at import."""
