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
- `signatures`: who may ask for signatures, sign, retry;
- `lookups`: `fetch`, the shape of each app's `get_<thing>_for_user`.
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
from loket.access.lookups import fetch
from loket.access.people import (
    HeldRole,
    contacts_with_access,
    holders_of,
    people_with,
    roles_of,
    roles_with,
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
    "contacts_with_access",
    "entities_with",
    "entity_capabilities",
    "fetch",
    "firm_capabilities",
    "holders_of",
    "is_contact",
    "is_staff",
    "may_hand_out",
    "may_hand_out_firm_wide",
    "may_request_signature",
    "may_request_signatures",
    "may_retry_signing",
    "may_sign",
    "may_start_signature_request",
    "may_start_signature_requests",
    "people_with",
    "require",
    "roles_of",
    "roles_to_hand_out",
    "roles_with",
    "visible_contacts",
    "visible_entities",
    "visible_files",
    "visible_groups",
    "visible_requests",
    "visible_roles",
    "visible_staff",
]
