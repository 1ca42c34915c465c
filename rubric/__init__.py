"""评分体系 (rubric): versions kept as data, their loader, and the pure scoring engine.

Nothing in this package imports Django: the engine takes plain dataclasses and returns
plain dataclasses, so it can be tested and benchmarked without a database.
"""
