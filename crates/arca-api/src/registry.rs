//! The services a server runs, and the routing of a verified request to one operation of
//! one of them.

use std::sync::Arc;

use http::request::Parts;

use crate::{
    ApiError, Binding, Descriptor, Input, Operation, PlainRoute, Protocol, Service,
    input::Document,
    wire::{cbor, json, query, rest_json, truncate},
};

/// Every service of a server.
#[derive(Default)]
pub struct Registry {
    services: Vec<Arc<dyn Service>>,
}

/// A request routed to one operation.
pub struct Route<'a> {
    /// The service.
    pub service: Arc<dyn Service>,
    /// The operation's table row.
    pub operation: &'static Operation,
    /// The decoded input.
    pub input: Input<'a>,
}

/// A request that reached no operation: the error, and the service it was meant for
/// when that much was clear (for the audit record and the Query namespace).
pub struct RouteError {
    /// The service, when known.
    pub service: Option<&'static Descriptor>,
    /// What the client is told.
    pub error: ApiError,
}

impl RouteError {
    fn new(service: Option<&'static Descriptor>, error: ApiError) -> Self {
        Self { service, error }
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a service. Panics at start-up if its names clash with one already there:
    /// two services answering one target or path would be a wiring mistake.
    pub fn register(&mut self, service: Arc<dyn Service>) {
        let new = service.descriptor();
        for existing in &self.services {
            let old = existing.descriptor();
            assert_ne!(old.name, new.name, "service {} registered twice", new.name);
            for (a, b) in old.bindings.iter().flat_map(|a| new.bindings.iter().map(move |b| (a, b)))
            {
                let clash = match (a, b) {
                    (
                        Binding::AwsJson { target_prefix: x },
                        Binding::AwsJson { target_prefix: y },
                    ) => x == y,
                    (
                        Binding::RpcV2Cbor { service_shape: x },
                        Binding::RpcV2Cbor { service_shape: y },
                    ) => x == y,
                    (Binding::AwsQuery { .. }, Binding::AwsQuery { .. }) => {
                        old.signing_names.iter().any(|name| new.signing_names.contains(name))
                    }
                    _ => false,
                };
                assert!(!clash, "services {} and {} share a binding", old.name, new.name);
            }
        }
        for route in service.plain_routes() {
            let taken =
                self.services.iter().flat_map(|existing| existing.plain_routes()).any(|other| {
                    other.method == route.method
                        && (other.path_prefix.starts_with(route.path_prefix)
                            || route.path_prefix.starts_with(other.path_prefix))
                });
            assert!(!taken, "plain route {} overlaps another service's", route.name);
        }
        for kind in service.job_kinds() {
            assert!(
                self.services.iter().all(|existing| !existing.job_kinds().contains(kind)),
                "job kind {kind} registered twice"
            );
        }
        self.services.push(service);
    }

    /// Every registered service.
    pub fn services(&self) -> impl Iterator<Item = &Arc<dyn Service>> {
        self.services.iter()
    }

    /// The service of a given name.
    pub fn service(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.services.iter().find(|service| service.descriptor().name == name)
    }

    /// The plain route a request line belongs to, and its service.
    pub fn plain_route(
        &self,
        method: &http::Method,
        path: &str,
    ) -> Option<(&'static PlainRoute, &Arc<dyn Service>)> {
        self.services.iter().find_map(|service| {
            service
                .plain_routes()
                .iter()
                .find(|route| route.matches(method, path))
                .map(|route| (route, service))
        })
    }

    /// Every registered job kind, and the service that runs it.
    pub fn job_kinds(&self) -> Vec<(&'static str, &Arc<dyn Service>)> {
        self.services
            .iter()
            .flat_map(|service| service.job_kinds().iter().map(move |kind| (*kind, service)))
            .collect()
    }

    /// The metric label of a service name: its registered name, or `unknown`.
    pub fn service_label(&self, name: &str) -> &'static str {
        self.service(name).map(|service| service.descriptor().name).unwrap_or("unknown")
    }

    /// The Query namespace to write an error in when `signing_name` is all that is
    /// known of the request (before authentication, or for an unserved service).
    pub fn xmlns_for(&self, signing_name: Option<&str>) -> &'static str {
        let query_services = || {
            self.services.iter().map(|service| service.descriptor()).filter(|d| d.xmlns().is_some())
        };
        signing_name
            .and_then(|name| query_services().find(|d| d.signs_as(name)))
            .or_else(|| query_services().next())
            .and_then(Descriptor::xmlns)
            .unwrap_or("")
    }

    /// Routes a verified request: finds the service and operation and decodes the body.
    pub fn route<'a>(
        &self,
        protocol: Protocol,
        parts: &Parts,
        body: &[u8],
        signing_name: &str,
        request_id: &'a str,
    ) -> Result<Route<'a>, RouteError> {
        match protocol {
            Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => {
                self.route_json(protocol, parts, body, signing_name, request_id)
            }
            Protocol::AwsQuery => self.route_query(parts, body, signing_name, request_id),
            Protocol::RestJson1 => self.route_rest(parts, body, signing_name, request_id),
            Protocol::RpcV2Cbor => self.route_cbor(parts, body, signing_name, request_id),
        }
    }

    fn find(&self, matches: impl Fn(&Binding) -> bool) -> Option<&Arc<dyn Service>> {
        self.services.iter().find(|service| service.descriptor().bindings.iter().any(&matches))
    }

    fn route_json<'a>(
        &self,
        protocol: Protocol,
        parts: &Parts,
        body: &[u8],
        signing_name: &str,
        request_id: &'a str,
    ) -> Result<Route<'a>, RouteError> {
        let target = header(parts, "x-amz-target").unwrap_or_default();
        let (prefix, operation) = target.split_once('.').unwrap_or((target, ""));
        let service = self
            .find(|binding| matches!(binding, Binding::AwsJson { target_prefix } if *target_prefix == prefix))
            .ok_or_else(|| {
                RouteError::new(
                    None,
                    ApiError::new(
                        "UnknownOperationException",
                        400,
                        format!("Unknown target {}", truncate(target)),
                    ),
                )
            })?;
        let descriptor = service.descriptor();
        let operation = operation_of(descriptor, operation, signing_name)?;
        let document = json::parse_body(body).map_err(|e| RouteError::new(Some(descriptor), e))?;
        Ok(Route {
            service: service.clone(),
            operation,
            input: input(protocol, Document::Json(document), operation, "", request_id, 200),
        })
    }

    fn route_query<'a>(
        &self,
        parts: &Parts,
        body: &[u8],
        signing_name: &str,
        request_id: &'a str,
    ) -> Result<Route<'a>, RouteError> {
        let service = self
            .services
            .iter()
            .find(|service| {
                let descriptor = service.descriptor();
                descriptor.xmlns().is_some() && descriptor.signs_as(signing_name)
            })
            .ok_or_else(|| {
                RouteError::new(
                    None,
                    ApiError::new(
                        "InvalidAction",
                        400,
                        format!(
                            "Service {} is not served over the Query protocol",
                            truncate(signing_name)
                        ),
                    ),
                )
            })?;
        let descriptor = service.descriptor();
        let fail = |error| RouteError::new(Some(descriptor), error);
        let params = query::Params::from_request(body, parts.uri.query().unwrap_or_default())
            .map_err(fail)?;
        let action = params
            .get("Action")
            .ok_or_else(|| fail(ApiError::new("MissingAction", 400, "Missing Action")))?;
        let operation = descriptor.operation(action).ok_or_else(|| {
            fail(ApiError::new(
                "InvalidAction",
                400,
                format!("Could not find operation {}", truncate(action)),
            ))
        })?;
        let xmlns = descriptor.xmlns().unwrap_or_default();
        Ok(Route {
            service: service.clone(),
            operation,
            input: input(
                Protocol::AwsQuery,
                Document::Query(params),
                operation,
                xmlns,
                request_id,
                200,
            ),
        })
    }

    fn route_rest<'a>(
        &self,
        parts: &Parts,
        body: &[u8],
        signing_name: &str,
        request_id: &'a str,
    ) -> Result<Route<'a>, RouteError> {
        let not_found = no_route;
        for service in &self.services {
            let descriptor = service.descriptor();
            if !descriptor.signs_as(signing_name) {
                continue;
            }
            for binding in descriptor.bindings {
                let Binding::RestJson { routes } = binding else { continue };
                let Some((route, labels)) = rest_json::match_request(
                    routes,
                    parts.method.as_str(),
                    parts.uri.path(),
                    parts.uri.query().unwrap_or_default(),
                ) else {
                    continue;
                };
                let fail = |error| RouteError::new(Some(descriptor), error);
                let operation = descriptor.operation(route.operation).ok_or_else(not_found)?;
                let document = rest_json::build_document(
                    route,
                    &labels,
                    parts.uri.query().unwrap_or_default(),
                    &parts.headers,
                    body,
                )
                .map_err(fail)?;
                return Ok(Route {
                    service: service.clone(),
                    operation,
                    input: input(
                        Protocol::RestJson1,
                        Document::Json(document),
                        operation,
                        "",
                        request_id,
                        route.status,
                    ),
                });
            }
        }
        Err(not_found())
    }

    fn route_cbor<'a>(
        &self,
        parts: &Parts,
        body: &[u8],
        signing_name: &str,
        request_id: &'a str,
    ) -> Result<Route<'a>, RouteError> {
        let unknown = no_route;
        let (shape, operation) = cbor::parse_path(parts.uri.path()).ok_or_else(unknown)?;
        let service = self
            .find(|binding| matches!(binding, Binding::RpcV2Cbor { service_shape } if *service_shape == shape))
            .ok_or_else(unknown)?;
        let descriptor = service.descriptor();
        let operation = operation_of(descriptor, operation, signing_name)?;
        let document = cbor::parse_body(body).map_err(|e| RouteError::new(Some(descriptor), e))?;
        Ok(Route {
            service: service.clone(),
            operation,
            input: input(
                Protocol::RpcV2Cbor,
                Document::Cbor(document),
                operation,
                "",
                request_id,
                200,
            ),
        })
    }
}

/// A path that names no served operation.
fn no_route() -> RouteError {
    RouteError::new(
        None,
        ApiError::new("UnknownOperationException", 404, "No operation matches the request."),
    )
}

/// The table row of an RPC operation, once the credential's scope is checked.
fn operation_of(
    descriptor: &'static Descriptor,
    name: &str,
    signing_name: &str,
) -> Result<&'static Operation, RouteError> {
    // Credentials are scoped to one service; the target must be one it signs for.
    if !descriptor.signs_as(signing_name) {
        return Err(RouteError::new(
            Some(descriptor),
            ApiError::new(
                "InvalidSignatureException",
                400,
                format!(
                    "Credential should be scoped to correct service: '{}'.",
                    descriptor.signing_names[0]
                ),
            ),
        ));
    }
    descriptor
        .operation(name)
        .ok_or_else(|| RouteError::new(Some(descriptor), ApiError::unknown_operation(name)))
}

fn input<'a>(
    protocol: Protocol,
    document: Document,
    operation: &'static Operation,
    xmlns: &'static str,
    request_id: &'a str,
    success_status: u16,
) -> Input<'a> {
    Input { protocol, document, operation: operation.name, xmlns, request_id, success_status }
}

fn header<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts.headers.get(name).and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Call, Reply};
    use arca_gate::CrossAccount;

    const ROW: Operation = Operation {
        name: "Put",
        action: "test:Put",
        read_only: false,
        cross_account: CrossAccount::SameAccountOnly,
        audit_members: &["Name"],
    };

    static JSON_SERVICE: Descriptor = Descriptor {
        name: "test",
        signing_names: &["test"],
        bindings: &[
            Binding::AwsJson { target_prefix: "TestService" },
            Binding::RpcV2Cbor { service_shape: "TestService" },
        ],
        internal_error_code: "InternalFailure",
        error_message_member: "message",
        operations: &[ROW],
    };

    static QUERY_SERVICE: Descriptor = Descriptor {
        name: "q",
        signing_names: &["q"],
        bindings: &[Binding::AwsQuery { xmlns: "urn:q" }],
        internal_error_code: "ServiceFailure",
        error_message_member: "message",
        operations: &[ROW],
    };

    struct Fixed(&'static Descriptor);

    #[async_trait::async_trait]
    impl Service for Fixed {
        fn descriptor(&self) -> &'static Descriptor {
            self.0
        }

        async fn call(&self, call: Call<'_>) -> Result<Reply, ApiError> {
            call.input.reply(&serde_json::json!({}))
        }
    }

    fn registry() -> Registry {
        let mut registry = Registry::new();
        registry.register(Arc::new(Fixed(&JSON_SERVICE)));
        registry.register(Arc::new(Fixed(&QUERY_SERVICE)));
        registry
    }

    fn parts(path: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = http::Request::post(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    fn route_error(protocol: Protocol, parts: &Parts, body: &[u8], signing: &str) -> ApiError {
        match registry().route(protocol, parts, body, signing, "rid") {
            Ok(_) => panic!("routed"),
            Err(error) => error.error,
        }
    }

    #[test]
    fn json_targets_route_to_their_row_and_keep_only_the_audit_members() {
        let registry = registry();
        let parts = parts("/", &[("x-amz-target", "TestService.Put")]);
        let body = br#"{"Name":"n","Secret":"s3cr3t"}"#;
        let route = registry.route(Protocol::AwsJson1_1, &parts, body, "test", "rid").ok().unwrap();
        assert_eq!(route.operation.name, "Put");
        let members = route.input.audit_members(route.operation.audit_members);
        assert_eq!(serde_json::Value::Object(members), serde_json::json!({"Name": "n"}));
    }

    #[test]
    fn unknown_targets_operations_and_wrong_scopes_are_client_errors() {
        let unknown = parts("/", &[("x-amz-target", "Nope.Put")]);
        assert_eq!(
            route_error(Protocol::AwsJson1_1, &unknown, b"{}", "test").code,
            "UnknownOperationException"
        );
        let operation = parts("/", &[("x-amz-target", "TestService.FlyToTheMoon")]);
        assert_eq!(
            route_error(Protocol::AwsJson1_1, &operation, b"{}", "test").code,
            "UnknownOperationException"
        );
        let put = parts("/", &[("x-amz-target", "TestService.Put")]);
        let error = route_error(Protocol::AwsJson1_1, &put, b"{}", "q");
        assert_eq!((error.code.as_str(), error.status), ("InvalidSignatureException", 400));
        assert_eq!(
            route_error(Protocol::AwsJson1_1, &put, b"[1]", "test").code,
            "SerializationException"
        );
    }

    #[test]
    fn query_routes_by_signing_name_and_cbor_by_path() {
        let registry = registry();
        let query = parts("/", &[]);
        let route = registry.route(Protocol::AwsQuery, &query, b"Action=Put&Name=x", "q", "rid");
        assert_eq!(route.ok().unwrap().operation.name, "Put");
        assert_eq!(
            route_error(Protocol::AwsQuery, &query, b"Action=Get", "q").code,
            "InvalidAction"
        );
        assert_eq!(
            route_error(Protocol::AwsQuery, &query, b"Action=Put", "nobody").code,
            "InvalidAction"
        );
        let cbor =
            parts("/service/TestService/operation/Put", &[("smithy-protocol", "rpc-v2-cbor")]);
        let route = registry.route(Protocol::RpcV2Cbor, &cbor, b"", "test", "rid");
        assert_eq!(route.ok().unwrap().operation.name, "Put");
        let elsewhere = parts("/service/Other/operation/Put", &[]);
        assert_eq!(route_error(Protocol::RpcV2Cbor, &elsewhere, b"", "test").status, 404);
    }

    static CRL: [PlainRoute; 1] = [PlainRoute { name: "crl", method: "GET", path_prefix: "/crl/" }];

    struct Public;

    #[async_trait::async_trait]
    impl Service for Public {
        fn descriptor(&self) -> &'static Descriptor {
            static DESCRIPTOR: Descriptor = Descriptor {
                name: "public",
                signing_names: &["public"],
                bindings: &[],
                internal_error_code: "InternalFailure",
                error_message_member: "message",
                operations: &[],
            };
            &DESCRIPTOR
        }

        async fn call(&self, _: Call<'_>) -> Result<Reply, ApiError> {
            Err(ApiError::unknown_operation(""))
        }

        fn plain_routes(&self) -> &'static [PlainRoute] {
            &CRL
        }

        async fn serve_plain(
            &self,
            _: &'static PlainRoute,
            request: crate::PlainRequest<'_>,
        ) -> crate::PlainResponse {
            crate::PlainResponse::ok("text/plain", request.path.as_bytes().to_vec())
        }
    }

    #[tokio::test]
    async fn plain_routes_go_to_their_service_by_method_and_prefix() {
        let mut registry = registry();
        registry.register(Arc::new(Public));
        let (route, service) = registry.plain_route(&http::Method::GET, "/crl/abc.crl").unwrap();
        assert_eq!(route.name, "crl");
        let request = crate::PlainRequest {
            path: "/crl/abc.crl",
            query: "",
            headers: &http::HeaderMap::new(),
            body: b"",
        };
        assert_eq!(service.serve_plain(route, request).await.body, b"/crl/abc.crl");
        assert!(registry.plain_route(&http::Method::POST, "/crl/abc.crl").is_none());
        assert!(registry.plain_route(&http::Method::GET, "/other").is_none());
    }

    #[test]
    #[should_panic(expected = "share a binding")]
    fn two_services_cannot_claim_one_target() {
        let mut registry = registry();
        static CLASH: Descriptor = Descriptor {
            name: "clash",
            signing_names: &["clash"],
            bindings: &[Binding::AwsJson { target_prefix: "TestService" }],
            internal_error_code: "InternalFailure",
            error_message_member: "message",
            operations: &[],
        };
        registry.register(Arc::new(Fixed(&CLASH)));
    }
}
