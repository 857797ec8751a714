// What the `rest_request` fuzz target runs on each input, shared with
// `tests/fuzz_corpus.rs`, which replays the corpus through it. The input is
// NUL-separated: method, path, query, header lines (`name: value`, one a line), body.
// Routing and input assembly run over a table with labels, a greedy label, literal
// segments and query parts, and every binding kind; none may panic.

use arca_wire::rest_json::{
    HttpRoute, Kind, Location, MemberBinding, build_document, match_request, match_route,
};

const fn bind(location: Location, wire_name: &'static str, kind: Kind) -> MemberBinding {
    MemberBinding { location, wire_name, member: wire_name, kind }
}

static ROUTES: &[HttpRoute] = &[
    HttpRoute {
        operation: "Get",
        method: "GET",
        uri: "/jobs/{jobId}",
        status: 200,
        bindings: &[bind(Location::Label, "jobId", Kind::String)],
    },
    HttpRoute {
        operation: "List",
        method: "GET",
        uri: "/jobs/list",
        status: 200,
        bindings: &[
            bind(Location::Query, "max", Kind::Integer),
            bind(Location::Query, "ids", Kind::IntegerList),
        ],
    },
    HttpRoute {
        operation: "Export",
        method: "GET",
        uri: "/jobs?type=export",
        status: 200,
        bindings: &[bind(Location::QueryParams, "rest", Kind::String)],
    },
    HttpRoute {
        operation: "Object",
        method: "PUT",
        uri: "/o/{bucket}/{key+}/tail/{n}",
        status: 200,
        bindings: &[
            bind(Location::Label, "bucket", Kind::String),
            bind(Location::Label, "key", Kind::String),
            bind(Location::Label, "n", Kind::Integer),
            bind(Location::Query, "since", Kind::Timestamp),
            bind(Location::Query, "flag", Kind::Boolean),
            bind(Location::Query, "ratio", Kind::Double),
            bind(Location::Query, "names", Kind::StringList),
            bind(Location::Header, "x-at", Kind::Timestamp),
            bind(Location::Header, "x-list", Kind::IntegerList),
            bind(Location::Header, "x-doc", Kind::Structure),
            bind(Location::HeaderPrefix, "x-meta-", Kind::String),
        ],
    },
    HttpRoute {
        operation: "Upload",
        method: "POST",
        uri: "/up/{id}",
        status: 201,
        bindings: &[
            bind(Location::Label, "id", Kind::String),
            bind(Location::Payload, "body", Kind::Blob),
        ],
    },
    HttpRoute {
        operation: "Config",
        method: "POST",
        uri: "/config",
        status: 200,
        bindings: &[bind(Location::Payload, "config", Kind::Structure)],
    },
    HttpRoute {
        operation: "Text",
        method: "POST",
        uri: "/text",
        status: 200,
        bindings: &[bind(Location::Payload, "text", Kind::Timestamp)],
    },
];

pub fn run(data: &[u8]) {
    let mut fields = data.splitn(5, |&b| b == 0);
    let text =
        |field: Option<&[u8]>| String::from_utf8_lossy(field.unwrap_or_default()).into_owned();
    let method = text(fields.next());
    let path = text(fields.next());
    let query = text(fields.next());
    let header_lines = text(fields.next());
    let body = fields.next().unwrap_or_default();
    let mut headers = http::HeaderMap::new();
    for line in header_lines.lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.trim().as_bytes()),
            http::HeaderValue::from_bytes(value.trim().as_bytes()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let _ = match_route(ROUTES, &method, &path);
    if let Some((route, labels)) = match_request(ROUTES, &method, &path, &query) {
        let _ = build_document(route, &labels, &query, &headers, body);
    }
}
