"""The one place that decides who may see and do what.

Views and API endpoints fetch objects through the `visible_*` querysets (out
of scope is a 404, the same as a missing object) and check capabilities with
`can()` (a visible object without the capability is a 403). Code asks for
capabilities, never for role names. A rule made of several conditions (staff
or contact, a capability, the object's state) is a named predicate here,
asked once by the view and handed to the template as a boolean.

The modules behind this face:

- `capabilities`: the capability catalogue and the built-in roles;
- `grants`: the engine that reads what a user holds (plain SQL, a bounded
  number of statements whatever the data size);
- `visibility`: the `visible_*` querysets;
- `people`: who holds a capability on an entity, and the roles one holds there;
- `sharing`: the sharing rule;
- `requests`: who may create, manage, answer and follow file requests;
- `files`: the files' rules (who may upload, limit a file, restore a version;
  who a limited file can be shared with; a clash with a hidden file);
- `signatures`: who may ask for signatures, sign, retry;
- `lookups`: `fetch` and `fetch_firm_wide`, the shape of each app's
  `get_<thing>_for_user`.
"""

from loket.access.capabilities import (
    BUILTIN_ROLES,
    CAPABILITY_LABELS,
    ENTITY_CAPABILITIES,
    FIRM_CAPABILITIES,
    STAFF_BASELINE,
    BuiltinRole,
    Capability,
    Held,
    UnknownCapability,
)
from loket.access.files import (
    clash_answer,
    may_limit,
    may_restore_version,
    may_upload,
    people_to_share_with,
)
from loket.access.grants import (
    MANY_ASSIGNMENTS,
    AnyUser,
    can,
    entity_capabilities,
    firm_capabilities,
    is_contact,
    is_staff,
    require,
)
from loket.access.lookups import fetch, fetch_firm_wide
from loket.access.people import (
    HeldRole,
    contacts_with_access,
    holders_of,
    people_with,
    roles_of,
    roles_with,
)
from loket.access.requests import (
    creatable_entities,
    is_recipient,
    may_cancel_request,
    may_create_requests,
    may_create_requests_in,
    may_edit_request,
    may_follow,
    may_manage_reminders,
    may_manage_request,
    may_remind,
    may_respond,
    may_respond_now,
    may_review,
    may_send_request,
    may_use_internal_comments,
)
from loket.access.sharing import (
    assignable_client_entities,
    may_hand_out,
    may_hand_out_firm_wide,
    roles_to_hand_out,
)
from loket.access.signatures import (
    may_request_signature,
    may_request_signatures,
    may_retry_signing,
    may_sign,
    may_start_signature_request,
    may_start_signature_requests,
)
from loket.access.visibility import (
    entities_with,
    visible_contacts,
    visible_entities,
    visible_files,
    visible_groups,
    visible_people,
    visible_requests,
    visible_roles,
    visible_staff,
)

__all__ = [
    "BUILTIN_ROLES",
    "CAPABILITY_LABELS",
    "ENTITY_CAPABILITIES",
    "FIRM_CAPABILITIES",
    "MANY_ASSIGNMENTS",
    "STAFF_BASELINE",
    "AnyUser",
    "BuiltinRole",
    "Capability",
    "Held",
    "HeldRole",
    "UnknownCapability",
    "assignable_client_entities",
    "can",
    "clash_answer",
    "contacts_with_access",
    "creatable_entities",
    "entities_with",
    "entity_capabilities",
    "fetch",
    "fetch_firm_wide",
    "firm_capabilities",
    "holders_of",
    "is_contact",
    "is_recipient",
    "is_staff",
    "may_cancel_request",
    "may_create_requests",
    "may_create_requests_in",
    "may_edit_request",
    "may_follow",
    "may_hand_out",
    "may_hand_out_firm_wide",
    "may_limit",
    "may_manage_reminders",
    "may_manage_request",
    "may_remind",
    "may_request_signature",
    "may_request_signatures",
    "may_respond",
    "may_respond_now",
    "may_restore_version",
    "may_retry_signing",
    "may_review",
    "may_send_request",
    "may_sign",
    "may_start_signature_request",
    "may_start_signature_requests",
    "may_upload",
    "may_use_internal_comments",
    "people_to_share_with",
    "people_with",
    "require",
    "roles_of",
    "roles_to_hand_out",
    "roles_with",
    "visible_contacts",
    "visible_entities",
    "visible_files",
    "visible_groups",
    "visible_people",
    "visible_requests",
    "visible_roles",
    "visible_staff",
]
