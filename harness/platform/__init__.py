"""The local "cluster": topology, supervisor and the real components it starts."""
