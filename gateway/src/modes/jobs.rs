//! Jobs mode: compute jobs run under service agreements. The gateway sells no calls: its
//! product is its own `osiris.gateway.v1.Jobs` service ([`crate::jobs`]), where starting a
//! job is authorized by the agreement as the mirror shows it (`ChannelCache::decide_agreement`)
//! and its conditions are fulfilled on chain as it runs. Any other path is answered
//! UNIMPLEMENTED, naming the service to use, with nothing charged.

use super::{Charge, Refused};
use crate::front::body::RequestBody;
use crate::jobs::{JobService, Jobs, MAX_UPLOAD_BYTES};
use crate::pb::jobs_server::JobsServer;
use crate::proxy::Body;
use http::{Request, Response};
use std::sync::Arc;
use tonic::service::Routes;

/// The job runner this gateway sells.
pub struct JobsMode {
    pub jobs: Arc<Jobs>,
}

impl JobsMode {
    /// Every call that is not one of the gateway's own services: refused, nothing charged.
    pub async fn call(&self, request: Request<RequestBody>) -> Result<(Response<Body>, Charge), Refused> {
        Err(Refused::Call(tonic::Status::unimplemented(format!(
            "{}: this gateway runs compute jobs under agreements; use osiris.gateway.v1.Jobs (`osiris job start`)",
            request.uri().path()
        ))))
    }

    /// The gateway's own services plus the Jobs service.
    pub fn add_services(&self, own: Routes) -> Routes {
        own.add_service(JobsServer::new(JobService(self.jobs.clone())).max_decoding_message_size(MAX_UPLOAD_BYTES))
    }
}
