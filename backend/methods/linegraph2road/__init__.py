"""LineGraph2Road road-graph extraction (papers/linegraph2road.txt)."""
