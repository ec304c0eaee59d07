from my_package.module1 import my_stage


def test_my_stage():
    assert my_stage("Paris")["city"] == "Paris"
