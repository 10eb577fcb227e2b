"""The fake Linear: GraphQL executed against Linear's published schema, over in-memory state."""

from switchyard.fakes.linear.schema import linear_schema
from switchyard.fakes.linear.server import DEFAULT_KEY, FakeLinear

__all__ = ["DEFAULT_KEY", "FakeLinear", "linear_schema"]
