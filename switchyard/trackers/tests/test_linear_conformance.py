"""Every document, request, answer and webhook of the Linear client and fake, against Linear's schema.

The schema (``switchyard/fakes/specs/linear-schema.graphql``) is built once per session. Requests are
parsed, validated and have their variables coerced; answers are re-executed over the schema
with the answer as the root value, which checks every selected field's type and nullability.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from switchyard.fakes.linear import FakeLinear, linear_schema
from switchyard.trackers.connectors.linear import queries
from switchyard.trackers.connectors.linear.client import LinearClient


@pytest.fixture(scope="session")
def schema() -> GraphQLSchema:
    return linear_schema()


@pytest.fixture(scope="module")
def exchanges() -> list[tuple[httpx.Request, httpx.Response]]:
    """Every client call once (and its failures), recorded by the fake."""
    fake = FakeLinear.seeded(issues=30, projects=2, seed=3)
    client = LinearClient(
        "https://linear.test/graphql",
        api_key=fake.api_key,
        transport=fake.transport(),
        sleep=lambda s: None,
    )
    client.page_size = 10
    team_id = fake.team_by_key("ENG")["id"]
    client.viewer()
    list(client.iter_teams())
    states = client.workflow_states(team_id)
    issues = list(client.iter_issues(team_id))
    list(client.iter_issues(team_id, updated_since=issues[5].updated_at))
    recent = client.recent_issues(team_id, 3)
    assert [issue.id for issue in recent] == [
        issue.id for issue in sorted(issues, key=lambda i: i.updated_at, reverse=True)[:3]
    ]
    client.get_issue(issues[0].identifier)
    user = client.find_user_by_email("dana@acme.example")
    fake.add_label("Sentry")
    label_ids = client.issue_label_ids(team_id, ["Bug", "sentry", "sentry-error"])  # one created
    client.create_issue_label(team_id=team_id, name="BUG")  # refused, then found
    created = client.create_issue(
        issue_id=str(uuid.uuid4()),
        team_id=team_id,
        title="Checkout fails",
        description="Steps to reproduce",
        priority=1,
        state_id=states[2].id,
        assignee_id=user.id,
        label_ids=label_ids,
    )
    client.create_issue(issue_id=created.id, team_id=team_id, title="Checkout fails")  # a repeat
    client.update_issue(created.id, stateId=states[5].id, priority=2, title="t", description="d")
    client.update_issue(created.id, assigneeId=None)
    comment = client.create_comment(
        issue_id=created.id, body="Looking", comment_id=str(uuid.uuid4())
    )
    client.create_comment(issue_id=created.id, body="Looking", comment_id=comment.id)  # a repeat
    client.create_comment(issue_id=created.id, body="Plain")
    list(client.iter_comments(created.id))
    with pytest.raises(Exception):  # noqa: B017 (any RemoteError: the exchange is what counts)
        client.get_issue("ENG-9999")
    with pytest.raises(Exception):  # noqa: B017
        client.create_issue(
            issue_id=str(uuid.uuid4()), team_id=team_id, title="x", label_ids=[str(uuid.uuid4())]
        )
    return fake.exchanges


def _requests(exchanges) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    for request, response in exchanges:
        body = json.loads(request.content)
        yield body, json.loads(response.content) if response.content else None


def _operation(document) -> OperationDefinitionNode:
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operation


def test_every_document_validates_against_linear_schema(schema):
    for name, document in queries.ALL.items():
        parsed = parse(document)
        assert validate(schema, parsed) == [], name
        assert _operation(parsed).name is not None, f"{name} has no operation name"


def test_every_document_in_the_module_is_listed(schema):
    documents = {
        name
        for name, value in vars(queries).items()
        if name.isupper()
        and isinstance(value, str)
        and value.lstrip().startswith(("query", "mutation"))
    }
    assert documents == set(queries.ALL)


def test_the_client_sends_every_document(exchanges):
    names = {_operation(parse(body["query"])).name.value for body, _ in _requests(exchanges)}
    expected = {_operation(parse(document)).name.value for document in queries.ALL.values()}
    assert names == expected


def test_every_request_fits_the_schema_with_its_variables(schema, exchanges):
    assert len(exchanges) > 15
    for request, _ in exchanges:
        assert request.method == "POST" and request.url.path == "/graphql"
        assert request.headers["Content-Type"] == "application/json"
        body = json.loads(request.content)
        assert set(body) == {"query", "variables"}
        document = parse(body["query"])
        assert validate(schema, document) == [], body["query"]
        coerced = get_variable_values(
            schema, _operation(document).variable_definitions or [], body["variables"]
        )
        # A list of GraphQL errors when the variables do not fit their declared types.
        assert not isinstance(coerced, list), (body["variables"], coerced)


def test_every_answer_fits_the_schema(schema, exchanges):
    errors_seen = 0
    for body, answer in _requests(exchanges):
        assert isinstance(answer, dict) and set(answer) <= {"data", "errors"}
        for error in answer.get("errors", []):
            errors_seen += 1
            # Linear's error shape: a message plus extensions.type / extensions.code.
            assert isinstance(error["message"], str)
            assert isinstance(error["extensions"]["type"], str)
            assert isinstance(error["extensions"]["code"], str)
        if answer.get("data") is None:
            assert answer.get("errors"), "no data and no errors"
            continue
        # Re-executing the document over the answer checks each field's type, nullability
        # and enum values; the answer must come back unchanged.
        replayed = execute(
            schema,
            parse(body["query"]),
            root_value=answer["data"],
            variable_values=body["variables"],
        )
        assert replayed.errors is None, (body["query"], replayed.errors)
        assert replayed.data == answer["data"]
    assert errors_seen >= 5  # the repeated creates, the unknown issue, the unknown label


# -- webhooks -----------------------------------------------------------------------------------

# The specs README says webhooks are outside the schema; yet the schema declares their bodies
# (EntityWebhookPayload with IssueWebhookPayload, CommentWebhookPayload, ...), which Linear's SDK
# types its webhook handlers with. They are output types no query returns, so they are checked
# here by walking the JSON against them. The ``data`` union is resolved by the body's ``type``
# and the ``actor`` union by the actor's ``type``, the discriminators Linear sends.
DATA_TYPES = {"Issue": "IssueWebhookPayload", "Comment": "CommentWebhookPayload"}
ACTOR_TYPES = {"user": "UserActorWebhookPayload"}
SCALARS = {
    "String": str,
    "ID": str,
    "DateTime": str,
    "Boolean": bool,
    "Float": (int, float),
    "Int": int,
    "JSONObject": dict,
    "JSON": (dict, list, str, int, float, bool),
}


def _check(
    schema: GraphQLSchema,
    value: Any,
    kind: Any,
    where: str,
    union_pick: str | None = None,
    picks: dict[str, str] | None = None,
) -> None:
    """Assert that a JSON value fits an output type: fields, nullability, scalars, no extras."""
    if isinstance(kind, GraphQLNonNull):
        assert value is not None, f"{where} is null"
        return _check(schema, value, kind.of_type, where, union_pick, picks)
    if value is None:
        return
    if isinstance(kind, GraphQLList):
        assert isinstance(value, list), where
        for n, item in enumerate(value):
            _check(schema, item, kind.of_type, f"{where}[{n}]")
        return
    if isinstance(kind, GraphQLUnionType):
        assert union_pick in {member.name for member in kind.types}, f"{where}: {union_pick}"
        kind = schema.get_type(union_pick)
    if isinstance(kind, GraphQLScalarType):
        assert isinstance(value, SCALARS[kind.name]) and not (
            kind.name in ("Float", "Int") and isinstance(value, bool)
        ), f"{where}: {value!r} is not {kind.name}"
        return
    if isinstance(kind, GraphQLEnumType):
        assert value in kind.values, where
        return
    assert isinstance(kind, GraphQLObjectType) and isinstance(value, dict), where
    unknown = set(value) - set(kind.fields)
    assert not unknown, f"{where}: {sorted(unknown)} are not fields of {kind.name}"
    for name, field in kind.fields.items():
        pick = (picks or {}).get(name)
        _check(schema, value.get(name), field.type, f"{where}.{name}", pick)


def check_webhook(schema: GraphQLSchema, body: dict[str, Any]) -> None:
    envelope = schema.get_type("EntityWebhookPayload")
    picks = {"data": DATA_TYPES[body["type"]]}
    if body.get("actor") is not None:
        picks["actor"] = ACTOR_TYPES[body["actor"]["type"]]
    _check(schema, body, GraphQLNonNull(envelope), "body", None, picks)


def test_the_fakes_webhooks_fit_the_schemas_payload_types(schema):
    fake = FakeLinear.seeded(issues=4, projects=1, seed=2)
    fake.subscribe_webhooks(None, "s3cret")
    issue_id = fake.create_issue_as_user("ENG", "Pay button dead", creator="kim@acme.example")
    fake.assign(issue_id, "dana@acme.example", by="lee@acme.example")
    fake.move_issue_to_state(issue_id, "Done", by="dana@acme.example")
    fake.add_comment(issue_id, "Shipped", author="dana@acme.example")
    fake.edit_issue(issue_id, title="Pay button unresponsive", priority=1)
    labelled = next(issue for issue in fake.issues.values() if issue.label_ids)
    built = [
        fake.issue_webhook(labelled.id),
        fake.issue_webhook(issue_id),
        fake.comment_webhook(fake.issue_comments(issue_id)[0].id),
    ]

    bodies = [json.loads(body) for _, body in fake.sent_webhooks + built]

    assert [(b["type"], b["action"]) for b in bodies] == [
        ("Issue", "create"),
        ("Issue", "update"),
        ("Issue", "update"),
        ("Comment", "create"),
        ("Issue", "update"),
        ("Issue", "update"),
        ("Issue", "update"),
        ("Comment", "create"),
    ]
    assert bodies[5]["data"]["labels"]  # the labelled issue's
    for body in bodies:
        check_webhook(schema, body)


def test_the_webhook_check_catches_a_wrong_payload(schema):
    fake = FakeLinear.seeded(issues=1, projects=1, seed=2)
    _, body = fake.issue_webhook(next(iter(fake.issues)))
    good = json.loads(body)
    for broken in (
        {**good, "data": {**good["data"], "stateId": None}},
        {**good, "data": {**good["data"], "priority": "high"}},
        {**good, "data": {**good["data"], "unknownField": 1}},
        {**good, "webhookTimestamp": None},
    ):
        with pytest.raises(AssertionError):
            check_webhook(schema, broken)
