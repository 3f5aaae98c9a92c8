"""The ``iter_*`` methods walk every page, whichever pagination the server uses, and stop at the last."""

from __future__ import annotations

import itertools

import pytest
import responses

from airflow_provider_domino._client.errors import DominoInputError, DominoResponseError

from .cases import MA, MD
from .helpers import BASE, calls


def _pages(rsps: responses.RequestsMock, url: str, *bodies) -> None:
    for body in bodies:  # registered in order: responses answers them one after another
        rsps.get(url, json=body)


def test_bare_arrays_are_walked_by_offset_until_a_short_page(hook, mocked) -> None:
    _pages(mocked, f"{BASE}{MA}", [{"id": 1}, {"id": 2}], [{"id": 3}, {"id": 4}], [{"id": 5}])
    items = list(hook.iter_model_apis(page_size=2))
    assert [i["id"] for i in items] == [1, 2, 3, 4, 5]
    assert [c.query for c in calls(mocked)] == [
        {"offset": "0", "limit": "2"},
        {"offset": "2", "limit": "2"},
        {"offset": "4", "limit": "2"},
    ]


def test_bare_arrays_stop_at_an_empty_page_after_full_ones(hook, mocked) -> None:
    _pages(mocked, f"{BASE}{MA}", [{"id": 1}, {"id": 2}], [])
    assert len(list(hook.iter_model_apis(page_size=2))) == 2
    assert len(mocked.calls) == 2


def test_items_envelopes_stop_at_total_count(hook, mocked) -> None:
    _pages(
        mocked,
        f"{BASE}{MA}",
        {"items": [{"id": "a"}, {"id": "b"}], "metadata": {"offset": 0, "limit": 2, "totalCount": 4}},
        {"items": [{"id": "c"}, {"id": "d"}], "metadata": {"offset": 2, "limit": 2, "totalCount": 4}},
    )
    items = list(hook.iter_model_apis("p-1", page_size=2))
    assert [i["id"] for i in items] == ["a", "b", "c", "d"]
    # a full last page: totalCount, not a third request, says it was the last
    assert [c.query for c in calls(mocked)] == [
        {"projectId": "p-1", "offset": "0", "limit": "2"},
        {"projectId": "p-1", "offset": "2", "limit": "2"},
    ]


def test_envelopes_with_pagination_nested_in_metadata_are_walked(hook, mocked) -> None:
    _pages(
        mocked,
        f"{BASE}{MD}",
        {"items": [{"id": "a"}, {"id": "b"}], "metadata": {"pagination": {"offset": 0, "limit": 2, "totalCount": 3}}},
        {"items": [{"id": "c"}], "metadata": {"pagination": {"offset": 2, "limit": 2, "totalCount": 3}}},
    )
    assert [i["id"] for i in hook.iter_deployments(page_size=2)] == ["a", "b", "c"]
    assert [c.query["offset"] for c in calls(mocked)] == ["0", "2"]


def test_envelopes_keep_going_while_total_count_says_more_remain_even_on_a_short_page(hook, mocked) -> None:
    # A server that caps the page size below the requested limit: totalCount (when given) decides the end.
    _pages(
        mocked,
        f"{BASE}{MA}",
        {"items": [{"id": "a"}, {"id": "b"}], "metadata": {"offset": 0, "limit": 2, "totalCount": 5}},
        {"items": [{"id": "c"}, {"id": "d"}], "metadata": {"offset": 2, "limit": 2, "totalCount": 5}},
        {"items": [{"id": "e"}], "metadata": {"offset": 4, "limit": 2, "totalCount": 5}},
    )
    assert [i["id"] for i in hook.iter_model_apis(page_size=10)] == ["a", "b", "c", "d", "e"]
    assert [c.query["offset"] for c in calls(mocked)] == ["0", "2", "4"]


def test_registered_models_follow_next_page_tokens(hook, mocked) -> None:
    url = f"{BASE}/api/registeredmodels/v2"
    _pages(
        mocked,
        url,
        {"items": [{"name": "a"}, {"name": "b"}], "metadata": {"nextPageToken": "tok-2", "requestId": "r"}},
        {"items": [{"name": "c"}, {"name": "d"}], "metadata": {"nextPageToken": "tok-3"}},
        {"items": [{"name": "e"}, {"name": "f"}], "metadata": {"nextPageToken": None}},
    )
    names = [m["name"] for m in hook.iter_registered_models(name="churn", page_size=2)]
    assert names == ["a", "b", "c", "d", "e", "f"]
    first, second, third = calls(mocked)
    assert first.query == {"name": "churn", "searchPattern": "churn", "offset": "0", "limit": "2", "maxResults": "2"}
    assert second.query["pageToken"] == "tok-2" and second.query["maxResults"] == "2"
    assert third.query["pageToken"] == "tok-3"
    assert "offset" not in second.query  # a token page is addressed by its token alone


def test_registered_models_in_the_seed_shape_are_walked_by_offset(hook, mocked) -> None:
    _pages(mocked, f"{BASE}/api/registeredmodels/v2", [{"name": "a"}, {"name": "b"}], [{"name": "c"}])
    assert [m["name"] for m in hook.iter_registered_models(page_size=2)] == ["a", "b", "c"]
    assert [c.query["offset"] for c in calls(mocked)] == ["0", "2"]


def test_registered_model_versions_of_a_spaced_name_are_walked(hook, mocked) -> None:
    url = f"{BASE}/api/registeredmodels/v1/my%20model/versions"
    _pages(
        mocked,
        url,
        {"items": [{"modelVersion": 1}], "metadata": {"offset": 0, "limit": 1, "totalCount": 2}},
        {"items": [{"modelVersion": 2}], "metadata": {"offset": 1, "limit": 1, "totalCount": 2}},
    )
    assert [v["modelVersion"] for v in hook.iter_registered_model_versions("my model", page_size=1)] == [1, 2]
    assert all(c.path == "/api/registeredmodels/v1/my%20model/versions" for c in calls(mocked))


def test_jobs_are_walked_with_the_project_filter(hook, mocked) -> None:
    _pages(mocked, f"{BASE}/api/jobs/beta/jobs", {"items": [{"id": "j1"}, {"id": "j2"}]}, {"items": []})
    assert [j["id"] for j in hook.iter_jobs("p-1", page_size=2)] == ["j1", "j2"]
    assert calls(mocked)[0].query == {"projectId": "p-1", "offset": "0", "limit": "2"}


def test_a_list_the_server_does_not_paginate_is_walked_once(hook, mocked) -> None:
    # Domino 6.2.0's version list takes no offset/limit: it answers the whole array to every request.
    # Walking it must not yield the same versions again and again (nor loop forever).
    mocked.get(f"{BASE}{MA}/ma-1/versions", json=[{"id": "v-1"}, {"id": "v-2"}])
    walked = list(itertools.islice(hook.iter_model_api_versions("ma-1", page_size=2), 10))
    assert walked == [{"id": "v-1"}, {"id": "v-2"}]


def test_project_of_model_api_terminates_when_the_version_list_ignores_offset(hook, mocked, monkeypatch) -> None:
    mocked.get(f"{BASE}{MA}/ma-1", json={"id": "ma-1"})
    # 100 versions: a full default page, answered again whatever the offset
    mocked.get(
        f"{BASE}{MA}/ma-1/versions", json=[{"id": f"v-{i}", "number": i, "projectId": "p-1"} for i in range(100)]
    )
    send = hook.transport.send

    def budgeted(request):
        if len(mocked.calls) >= 5:
            raise AssertionError("more than 5 requests: the walk does not end")
        return send(request)

    monkeypatch.setattr(hook.transport, "send", budgeted)
    assert hook.project_of_model_api("ma-1") == "p-1"
    assert len(mocked.calls) == 2


def test_offset_is_sent_on_the_first_page_of_every_list(hook, mocked) -> None:
    # the real API's default offset is not 0, so an explicit offset=0 is always sent
    mocked.get(f"{BASE}{MA}", json=[])
    mocked.get(f"{BASE}{MD}", json=[])
    mocked.get(f"{BASE}/api/jobs/beta/jobs", json=[])
    hook.list_model_apis()
    list(hook.iter_model_apis())
    hook.list_deployments()
    list(hook.iter_jobs("p-1"))
    assert all(c.query.get("offset") == "0" for c in calls(mocked))


def test_iterating_is_lazy_page_by_page(hook, mocked) -> None:
    _pages(mocked, f"{BASE}{MA}/ma-1/versions", [{"id": 1}, {"id": 2}], [{"id": 3}])
    walker = hook.iter_model_api_versions("ma-1", page_size=2)
    assert next(walker) == {"id": 1}
    assert len(mocked.calls) == 1


def test_a_page_that_is_not_a_list_is_a_response_error(hook, mocked) -> None:
    mocked.get(f"{BASE}{MA}", json={"unexpected": True})
    with pytest.raises(DominoResponseError, match="list of items"):
        list(hook.iter_model_apis())


@pytest.mark.parametrize("page_size", [0, -1, "10", 2.5])
def test_bad_page_sizes_are_refused_before_any_request(hook, mocked, page_size) -> None:
    with pytest.raises(DominoInputError, match="page_size"):
        list(hook.iter_model_apis(page_size=page_size))
    assert len(mocked.calls) == 0
