from serviceframe.services.assignments import coverage


def test_jiaozuo_loads(jiaozuo_app):
    cover = coverage(jiaozuo_app)
    assert cover.quotas[0].key_enterprises == 100
