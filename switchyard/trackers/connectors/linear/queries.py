"""Every GraphQL document the Linear client sends (checked against Linear's schema in the tests).

https://linear.app/developers/graphql — connections page with ``first``/``after`` and
``pageInfo { hasNextPage endCursor }``.
"""

USER_FIELDS = "id name displayName email"
STATE_FIELDS = "id name type position"
ISSUE_FIELDS = f"""
    id identifier url title description priority createdAt updatedAt completedAt canceledAt
    state {{ {STATE_FIELDS} }}
    team {{ id key }}
    assignee {{ {USER_FIELDS} }}
    creator {{ {USER_FIELDS} }}
    labels {{ nodes {{ name }} }}
"""
LABEL_FIELDS = "id name"
COMMENT_FIELDS = f"id body createdAt user {{ {USER_FIELDS} }} issue {{ id }}"

VIEWER = f"query Viewer {{ viewer {{ {USER_FIELDS} }} }}"

TEAMS = """
query Teams($first: Int!, $after: String) {
  teams(first: $first, after: $after) {
    nodes { id key name }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WORKFLOW_STATES = f"""
query WorkflowStates($teamId: ID!, $first: Int!, $after: String) {{
  workflowStates(filter: {{ team: {{ id: {{ eq: $teamId }} }} }}, first: $first, after: $after) {{
    nodes {{ {STATE_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

# ``orderBy: updatedAt`` does not document its direction, so the order comes from ``sort``
# (marked [INTERNAL] in the schema, yet published in it; the conformance tests would catch its
# removal): oldest change first, so that a pull interrupted mid-way resumes from the last page.
ISSUES = f"""
query Issues($filter: IssueFilter, $first: Int!, $after: String) {{
  issues(filter: $filter, first: $first, after: $after, sort: [{{ updatedAt: {{ order: Ascending }} }}]) {{
    nodes {{ {ISSUE_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

RECENT_ISSUES = f"""
query RecentIssues($filter: IssueFilter, $first: Int!) {{
  issues(filter: $filter, first: $first, sort: [{{ updatedAt: {{ order: Descending }} }}]) {{
    nodes {{ {ISSUE_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

ISSUE = f"query Issue($id: String!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}"

ISSUE_CREATE = f"""
mutation IssueCreate($input: IssueCreateInput!) {{
  issueCreate(input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }}
}}
"""

ISSUE_UPDATE = f"""
mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) {{
  issueUpdate(id: $id, input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }}
}}
"""

COMMENT_CREATE = f"""
mutation CommentCreate($input: CommentCreateInput!) {{
  commentCreate(input: $input) {{ success comment {{ {COMMENT_FIELDS} }} }}
}}
"""

ISSUE_COMMENTS = f"""
query IssueComments($id: String!, $first: Int!, $after: String) {{
  issue(id: $id) {{
    comments(first: $first, after: $after) {{
      nodes {{ {COMMENT_FIELDS} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""

COMMENT = f"query Comment($id: String!) {{ comment(id: $id) {{ {COMMENT_FIELDS} }} }}"

# A team's issues may carry the team's labels and the workspace's (those without a team).
# ``$names`` holds one ``{ name: { eqIgnoreCase: ... } }`` per name: Linear tells label names
# apart without case, and a single query serves every name.
ISSUE_LABELS = f"""
query IssueLabels($teamId: ID!, $names: [IssueLabelFilter!], $first: Int!, $after: String) {{
  issueLabels(
    filter: {{ team: {{ or: [{{ id: {{ eq: $teamId }} }}, {{ null: true }}] }}, or: $names }}
    first: $first
    after: $after
  ) {{
    nodes {{ {LABEL_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

ISSUE_LABEL_CREATE = f"""
mutation IssueLabelCreate($input: IssueLabelCreateInput!) {{
  issueLabelCreate(input: $input) {{ success issueLabel {{ {LABEL_FIELDS} }} }}
}}
"""

# Addresses are compared without case, as people type them in either system.
USERS_BY_EMAIL = f"""
query UsersByEmail($email: String!) {{
  users(filter: {{ email: {{ eqIgnoreCase: $email }} }}, first: 1) {{ nodes {{ {USER_FIELDS} }} }}
}}
"""

ALL = {
    "VIEWER": VIEWER,
    "TEAMS": TEAMS,
    "WORKFLOW_STATES": WORKFLOW_STATES,
    "ISSUES": ISSUES,
    "RECENT_ISSUES": RECENT_ISSUES,
    "ISSUE": ISSUE,
    "ISSUE_CREATE": ISSUE_CREATE,
    "ISSUE_UPDATE": ISSUE_UPDATE,
    "COMMENT_CREATE": COMMENT_CREATE,
    "ISSUE_COMMENTS": ISSUE_COMMENTS,
    "COMMENT": COMMENT,
    "USERS_BY_EMAIL": USERS_BY_EMAIL,
    "ISSUE_LABELS": ISSUE_LABELS,
    "ISSUE_LABEL_CREATE": ISSUE_LABEL_CREATE,
}
