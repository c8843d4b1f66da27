"""The operation results, ``from ding.models import operations``.

Every operation returns an envelope with ``status_code``, ``content_type``,
``raw_response`` and the decoded body. The seed SDK's names
(``PostAuthenticationResponse``, ``PostCheckResponse``, ``PostRetryResponse``,
``PostLookupResponse``, ``PostLookupRequest``) and the later official names
(``CreateAuthenticationResponse`` and the typo-era
``CreateAutenticationResponse``, ``CheckResponse``, ``RetryResponse``,
``LookupResponse``, ``FeedbackResponse``, ``GetAuthenticationStatusResponse``)
are the same classes. ``Type`` is the official name of `LookupType`.

Beware: ``operations.CreateAuthenticationResponse`` is the envelope, while
``shared.CreateAuthenticationResponse`` / ``components.CreateAuthenticationResponse``
is the body model it carries; likewise for ``LookupResponse`` and
``FeedbackResponse``.
"""

from ding._schema._models import (
    GetAuthenticationStatusResponse,
    LookupType,
    PostAuthenticationResponse,
    PostCheckResponse,
    PostFeedbackResponse,
    PostLookupRequest,
    PostLookupResponse,
    PostRetryResponse,
)
from ding._schema._models import LookupType as Type
from ding._schema._models import (
    PostAuthenticationResponse as CreateAutenticationResponse,
)
from ding._schema._models import (
    PostAuthenticationResponse as CreateAuthenticationResponse,
)
from ding._schema._models import PostCheckResponse as CheckResponse
from ding._schema._models import PostFeedbackResponse as FeedbackResponse
from ding._schema._models import PostLookupResponse as LookupResponse
from ding._schema._models import PostRetryResponse as RetryResponse

__all__ = [
    "CheckResponse",
    "CreateAutenticationResponse",
    "CreateAuthenticationResponse",
    "FeedbackResponse",
    "GetAuthenticationStatusResponse",
    "LookupResponse",
    "LookupType",
    "PostAuthenticationResponse",
    "PostCheckResponse",
    "PostFeedbackResponse",
    "PostLookupRequest",
    "PostLookupResponse",
    "PostRetryResponse",
    "RetryResponse",
    "Type",
]
