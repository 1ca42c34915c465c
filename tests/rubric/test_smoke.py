from rubric.loader import load_file, shipped_versions


def test_shipped_rubrics_load():
    paths = shipped_versions()
    assert paths, "no rubric version shipped"
    for path in paths:
        rubric, _ = load_file(path)
        assert rubric.total_points == 100
