//! [`ServicesPort`]: the server's implementation of `app::idv_port::IdvPort` over the
//! services, which is what server functions reach (not a network port).

use crate::{
    service::{ServiceError, Services, course_flow, idv, submit},
    store::{attempts, users},
};
use app::{
    dto::{CourseFlow, CourseFlowRequest, CurrentUser, FlowInfo, SessionInfo, SubmitPhotosRequest, VerificationStatus},
    error::AppError,
    idv_port::{Caller, IdvPort},
};

/// The port, over the services.
#[derive(Clone)]
pub struct ServicesPort {
    services: Services,
}

impl ServicesPort {
    /// A port over `services`.
    pub fn new(services: Services) -> Self {
        Self { services }
    }
}

fn signed_in(caller: &Caller) -> Result<app::domain::UserId, AppError> {
    caller.user_id.ok_or_else(AppError::unauthenticated)
}

#[async_trait::async_trait]
impl IdvPort for ServicesPort {
    async fn session_info(&self, caller: &Caller) -> Result<SessionInfo, AppError> {
        let user = match caller.user_id {
            Some(id) => {
                let mut conn = self.services.store.conn().await.map_err(ServiceError::from)?;
                users::by_id(&mut conn, id).await.map_err(ServiceError::from)?.map(|u| CurrentUser {
                    username: u.username,
                    full_name: u.full_name,
                    // A phone session carries no staff rights, so it does not show any.
                    is_staff: u.is_staff && !caller.phone,
                })
            }
            None => None,
        };
        Ok(SessionInfo { user, dev_login: self.services.cfg.auth.dev_login })
    }

    async fn verification_status(&self, caller: &Caller) -> Result<VerificationStatus, AppError> {
        Ok(idv::cached::user_status(&self.services, signed_in(caller)?).await?)
    }

    async fn submit_photos(
        &self,
        caller: &Caller,
        request: SubmitPhotosRequest,
    ) -> Result<VerificationStatus, AppError> {
        let user = signed_in(caller)?;
        // Through the learner's vendor, like the REST twin: hosted and manual vendors take none.
        let vendor = crate::vendors::for_learner(&self.services, user, request.course_key.as_deref()).await;
        vendor.submit(&self.services, user, request).await?;
        // What was just written: read back from the database, never the cache.
        Ok(idv::user_status(&self.services, user).await?)
    }

    async fn slot_config(&self, caller: &Caller, course_id: Option<String>) -> Result<app::slot::SlotConfig, AppError> {
        Ok(crate::vendors::slot::slot_config(&self.services, signed_in(caller)?, course_id).await?)
    }

    async fn flow_info(&self, caller: &Caller) -> Result<FlowInfo, AppError> {
        let user = signed_in(caller)?;
        let mut conn = self.services.store.conn().await.map_err(ServiceError::from)?;
        let account =
            users::by_id(&mut conn, user).await.map_err(ServiceError::from)?.ok_or_else(AppError::unauthenticated)?;
        // The same lookup the submit service uses when the ID photo is left out.
        let destination = submit::configured_destination(&self.services);
        let on_file = submit::reusable_id_photo(&self.services, &mut conn, user, destination).await?;
        // Any approved ID photo at all (for the same key pair): one that exists but is too
        // old is worth a word.
        let in_house = destination == submit::Destination::InHouse;
        let any = attempts::latest_approved_with_photo_id(&mut conn, user, chrono::DateTime::UNIX_EPOCH, in_house)
            .await
            .map_err(ServiceError::from)?;
        Ok(FlowInfo {
            username: account.username,
            full_name: account.full_name,
            max_photo_bytes: self.services.cfg.server.max_photo_bytes as u64,
            id_photo_on_file: on_file.is_some(),
            id_photo_too_old: on_file.is_none() && any.is_some(),
            quality_checks: self.services.cfg.idv.quality_checks,
        })
    }

    async fn course_flow(&self, caller: &Caller, request: CourseFlowRequest) -> Result<CourseFlow, AppError> {
        let user = signed_in(caller)?;
        let account = {
            let mut conn = self.services.store.conn().await.map_err(ServiceError::from)?;
            users::by_id(&mut conn, user).await.map_err(ServiceError::from)?.ok_or_else(AppError::unauthenticated)?
        };
        Ok(course_flow::course_flow(&self.services, &account, &request).await?)
    }
}
