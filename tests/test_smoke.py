from tests.factories import headers, make_user


def test_show_flag_needs_no_token(client):
    response = client.get("/api/show/")
    assert response.status_code == 200
    assert response.json == {"show": True}


def test_user_reads_own_profile_without_trailing_slash(client):
    user = make_user(name="张三")
    response = client.get(f"/api/users/{user.id}", headers=headers(user))
    assert response.status_code == 200
    assert response.json["name"] == "张三"
