//! The pay-and-verify step engine (Open edX `PayAndVerifyView`): which steps a learner
//! sees, which requirements apply, and when the learner belongs elsewhere (a missed
//! deadline, the dashboard, the upgrade or verify-now flow, the commerce checkout). Pure:
//! the caller gathers the course modes, the enrollment, the verification state and the
//! deadline, and renders what this decides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A step of the flow, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayAndVerifyStep {
    /// `intro-step`.
    IntroStep,
    /// `make-payment-step`.
    MakePaymentStep,
    /// `payment-confirmation-step`.
    PaymentConfirmationStep,
    /// `face-photo-step`.
    FacePhotoStep,
    /// `id-photo-step`.
    IdPhotoStep,
    /// `review-photos-step`.
    ReviewPhotosStep,
    /// `enrollment-confirmation-step`.
    EnrollmentConfirmationStep,
}

/// The old name of [`PayAndVerifyStep`]; kept for code written against it.
#[deprecated(note = "renamed: PayAndVerifyStep")]
pub type Step = PayAndVerifyStep;

impl PayAndVerifyStep {
    /// Every step, in order.
    pub const ALL: [Self; 7] = [
        Self::IntroStep,
        Self::MakePaymentStep,
        Self::PaymentConfirmationStep,
        Self::FacePhotoStep,
        Self::IdPhotoStep,
        Self::ReviewPhotosStep,
        Self::EnrollmentConfirmationStep,
    ];
    const PAYMENT: [Self; 2] = [Self::MakePaymentStep, Self::PaymentConfirmationStep];
    const VERIFICATION: [Self; 4] =
        [Self::FacePhotoStep, Self::IdPhotoStep, Self::ReviewPhotosStep, Self::EnrollmentConfirmationStep];

    /// Open edX's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IntroStep => "intro-step",
            Self::MakePaymentStep => "make-payment-step",
            Self::PaymentConfirmationStep => "payment-confirmation-step",
            Self::FacePhotoStep => "face-photo-step",
            Self::IdPhotoStep => "id-photo-step",
            Self::ReviewPhotosStep => "review-photos-step",
            Self::EnrollmentConfirmationStep => "enrollment-confirmation-step",
        }
    }

    /// The step named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == s)
    }

    /// The title shown to the learner.
    pub fn title(self) -> &'static str {
        match self {
            Self::IntroStep => "Intro",
            Self::MakePaymentStep => "Make payment",
            Self::PaymentConfirmationStep => "Payment confirmation",
            Self::FacePhotoStep => "Take photo",
            Self::IdPhotoStep => "Take a photo of your ID",
            Self::ReviewPhotosStep => "Review your info",
            Self::EnrollmentConfirmationStep => "Enrollment confirmation",
        }
    }

    fn requirements(self) -> &'static [Requirement] {
        match self {
            Self::IdPhotoStep => &[Requirement::PhotoIdRequired, Requirement::WebcamRequired],
            Self::FacePhotoStep => &[Requirement::WebcamRequired],
            _ => &[],
        }
    }
}

/// How the learner entered the flow (the page's messaging).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Message {
    /// `first-time-verify`: enrolling and verifying for the first time.
    FirstTimeVerify,
    /// `verify-now`: paid, verifying now.
    VerifyNow,
    /// `verify-later`: paid, verifying later.
    VerifyLater,
    /// `upgrade`: enrolled, upgrading to a verified track.
    Upgrade,
    /// `payment-confirmation`: back from the payment processor.
    PaymentConfirmation,
}

impl Message {
    /// The message named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "first-time-verify" => Some(Self::FirstTimeVerify),
            "verify-now" => Some(Self::VerifyNow),
            "verify-later" => Some(Self::VerifyLater),
            "upgrade" => Some(Self::Upgrade),
            "payment-confirmation" => Some(Self::PaymentConfirmation),
            _ => None,
        }
    }

    /// Whether a learner with this message is about to pay.
    pub fn is_paying(self) -> bool {
        matches!(self, Self::FirstTimeVerify | Self::Upgrade)
    }
}

/// A requirement shown before the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// `account-activation-required`.
    AccountActivationRequired,
    /// `photo-id-required`.
    PhotoIdRequired,
    /// `webcam-required`.
    WebcamRequired,
}

/// A course mode (track) as the platform's catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseMode {
    /// `audit`, `verified`, `professional`, `no-id-professional`, `credit`, …
    pub slug: String,
    /// The lowest price, in the currency's minor unit (cents).
    pub min_price: i64,
    /// The commerce service's product SKU.
    pub sku: Option<String>,
    /// When the mode stops being sold (the upgrade deadline).
    pub expiration: Option<DateTime<Utc>>,
}

impl CourseMode {
    /// Whether the track needs an ID verification.
    pub fn is_verified_mode(&self) -> bool {
        matches!(self.slug.as_str(), "verified" | "professional")
    }

    fn is_paid_non_credit(&self) -> bool {
        self.min_price > 0 && self.slug != "credit"
    }
}

/// A learner's enrollment in the course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// The mode's slug.
    pub mode: String,
    /// Whether the enrollment is active.
    pub is_active: bool,
}

/// Everything the decision depends on.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    /// The page's messaging.
    pub message: Message,
    /// Show the payment steps even when already paid (returning from payment).
    pub always_show_payment: bool,
    /// The step asked for, if any.
    pub current_step: Option<PayAndVerifyStep>,
    /// Whether the learner has a valid or pending verification.
    pub already_verified: bool,
    /// Whether the learner's account is activated.
    pub account_active: bool,
    /// The course's modes (all, expired ones included).
    pub modes: &'a [CourseMode],
    /// The learner's enrollment, if any.
    pub enrollment: Option<&'a Enrollment>,
    /// The course's verification deadline.
    pub verification_deadline: Option<DateTime<Utc>>,
    /// Whether the platform's commerce checkout is configured.
    pub checkout_enabled: bool,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Which deadline was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The verification deadline: no more verifying for this course.
    Verification,
    /// The upgrade deadline: the verified track is no longer sold.
    Upgrade,
}

/// Where the learner is sent instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Redirect {
    /// Nothing left to do.
    Dashboard,
    /// Enrolled but unpaid: the upgrade messaging fits.
    UpgradeAndVerify,
    /// Not enrolled: the first-time flow.
    StartFlow,
    /// Paid but unverified: verify now.
    VerifyNow,
    /// The commerce service's checkout for this SKU.
    Checkout {
        /// The product.
        sku: String,
    },
}

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// The course has no paid mode: there is no such flow (404).
    NoPaidMode,
    /// A deadline has passed.
    DeadlinePassed {
        /// Which.
        kind: DeadlineKind,
        /// When it was.
        deadline: DateTime<Utc>,
    },
    /// The learner belongs elsewhere.
    Redirect(Redirect),
    /// The flow.
    Show {
        /// The steps, in order.
        display_steps: Vec<PayAndVerifyStep>,
        /// The step to show now.
        current_step: PayAndVerifyStep,
        /// The requirements to list.
        requirements: Vec<Requirement>,
        /// The mode being bought or verified for.
        course_mode: CourseMode,
    },
}

/// The paid mode of the course: unexpired first, else an expired one; never credit.
pub fn paid_mode(modes: &[CourseMode], now: DateTime<Utc>) -> Option<&CourseMode> {
    let unexpired = |m: &&CourseMode| m.expiration.is_none_or(|e| e > now);
    modes
        .iter()
        .filter(unexpired)
        .find(|m| m.is_paid_non_credit())
        .or_else(|| modes.iter().find(|m| m.is_paid_non_credit()))
}

/// Decides the page, in Open edX's order: verification deadline, paid mode, upgrade
/// deadline (when paying), redirects, then the steps.
pub fn decide(input: &Inputs<'_>) -> Decision {
    if let Some(deadline) = input.verification_deadline.filter(|d| *d < input.now) {
        return Decision::DeadlinePassed { kind: DeadlineKind::Verification, deadline };
    }
    let Some(mode) = paid_mode(input.modes, input.now) else {
        return Decision::NoPaidMode;
    };
    let paying = input.message.is_paying();
    if paying && let Some(deadline) = mode.expiration.filter(|d| *d < input.now) {
        return Decision::DeadlinePassed { kind: DeadlineKind::Upgrade, deadline };
    }
    // A non-verified paid track needs no verification: it counts as done.
    let already_verified = !mode.is_verified_mode() || input.already_verified;
    let is_enrolled = input.enrollment.is_some_and(|e| e.is_active);
    let already_paid = input
        .enrollment
        .filter(|e| e.is_active)
        .and_then(|e| input.modes.iter().find(|m| m.slug == e.mode))
        .is_some_and(|m| m.min_price > 0);
    if let Some(redirect) = redirect(input, mode, already_verified, already_paid, is_enrolled) {
        return Decision::Redirect(redirect);
    }
    let display_steps = display_steps(input.always_show_payment, already_verified, already_paid, mode);
    let current_step = input
        .current_step
        .filter(|s| display_steps.contains(s))
        .or_else(|| display_steps.first().copied())
        .unwrap_or(PayAndVerifyStep::EnrollmentConfirmationStep);
    let mut requirements = Vec::new();
    if !input.account_active {
        requirements.push(Requirement::AccountActivationRequired);
    }
    for req in [Requirement::PhotoIdRequired, Requirement::WebcamRequired] {
        if display_steps.iter().any(|s| s.requirements().contains(&req)) {
            requirements.push(req);
        }
    }
    Decision::Show { display_steps, current_step, requirements, course_mode: mode.clone() }
}

fn redirect(
    input: &Inputs<'_>,
    mode: &CourseMode,
    already_verified: bool,
    already_paid: bool,
    is_enrolled: bool,
) -> Option<Redirect> {
    let mut to = None;
    if already_verified && already_paid {
        if input.message != Message::PaymentConfirmation {
            to = Some(Redirect::Dashboard);
        }
    } else if matches!(input.message, Message::VerifyNow | Message::VerifyLater | Message::PaymentConfirmation) {
        if is_enrolled {
            if !already_paid {
                to = Some(Redirect::UpgradeAndVerify);
            }
        } else {
            to = Some(Redirect::StartFlow);
        }
    } else if input.message == Message::Upgrade {
        if is_enrolled {
            if already_paid {
                to = Some(Redirect::VerifyNow);
            }
        } else {
            to = Some(Redirect::StartFlow);
        }
    }
    // Payment goes to the commerce service; a learner who already paid is never sent
    // there again (Open edX later added the same guard).
    if input.message.is_paying()
        && input.account_active
        && !already_paid
        && input.checkout_enabled
        && let Some(sku) = &mode.sku
    {
        to = Some(Redirect::Checkout { sku: sku.clone() });
    }
    to
}

fn display_steps(
    always_show_payment: bool,
    already_verified: bool,
    already_paid: bool,
    mode: &CourseMode,
) -> Vec<PayAndVerifyStep> {
    let mut remove: Vec<PayAndVerifyStep> = Vec::new();
    if already_verified || !mode.is_verified_mode() {
        remove.extend(PayAndVerifyStep::VERIFICATION);
    }
    if already_paid && !always_show_payment {
        remove.extend(PayAndVerifyStep::PAYMENT);
    } else {
        // The payment step doubles as the intro.
        remove.push(PayAndVerifyStep::IntroStep);
    }
    PayAndVerifyStep::ALL.into_iter().filter(|s| !remove.contains(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn modes(now: DateTime<Utc>) -> Vec<CourseMode> {
        vec![
            CourseMode { slug: "audit".into(), min_price: 0, sku: None, expiration: None },
            CourseMode {
                slug: "verified".into(),
                min_price: 4900,
                sku: Some("SKU1".into()),
                expiration: Some(now + Duration::days(10)),
            },
        ]
    }

    fn input<'a>(modes: &'a [CourseMode], now: DateTime<Utc>, message: Message) -> Inputs<'a> {
        Inputs {
            message,
            always_show_payment: false,
            current_step: None,
            already_verified: false,
            account_active: true,
            modes,
            enrollment: None,
            verification_deadline: None,
            checkout_enabled: false,
            now,
        }
    }

    fn steps(d: &Decision) -> Vec<&'static str> {
        match d {
            Decision::Show { display_steps, .. } => display_steps.iter().map(|s| s.as_str()).collect(),
            other => panic!("expected steps, got {other:?}"),
        }
    }

    #[test]
    fn first_time_shows_payment_and_verification() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).expect("a time");
        let m = modes(now);
        let d = decide(&input(&m, now, Message::FirstTimeVerify));
        assert_eq!(
            steps(&d),
            [
                "make-payment-step",
                "payment-confirmation-step",
                "face-photo-step",
                "id-photo-step",
                "review-photos-step",
                "enrollment-confirmation-step"
            ]
        );
        let Decision::Show { current_step, requirements, .. } = d else { unreachable!() };
        assert_eq!(current_step, PayAndVerifyStep::MakePaymentStep);
        assert_eq!(requirements, [Requirement::PhotoIdRequired, Requirement::WebcamRequired]);
    }

    #[test]
    fn paid_learner_verifies_now_without_payment_steps() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).expect("a time");
        let m = modes(now);
        let enrollment = Enrollment { mode: "verified".into(), is_active: true };
        let mut i = input(&m, now, Message::VerifyNow);
        i.enrollment = Some(&enrollment);
        i.account_active = false;
        let d = decide(&i);
        assert_eq!(
            steps(&d),
            ["intro-step", "face-photo-step", "id-photo-step", "review-photos-step", "enrollment-confirmation-step"]
        );
        let Decision::Show { requirements, .. } = d else { unreachable!() };
        assert_eq!(requirements[0], Requirement::AccountActivationRequired);
        i.already_verified = true;
        assert_eq!(decide(&i), Decision::Redirect(Redirect::Dashboard), "paid and verified: nothing to do");
        i.message = Message::PaymentConfirmation;
        assert_eq!(steps(&decide(&i)), ["intro-step"], "verification steps include the confirmation");
    }

    #[test]
    fn redirects() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).expect("a time");
        let m = modes(now);
        let audit = Enrollment { mode: "audit".into(), is_active: true };
        let paid = Enrollment { mode: "verified".into(), is_active: true };
        let mut i = input(&m, now, Message::VerifyNow);
        assert_eq!(decide(&i), Decision::Redirect(Redirect::StartFlow), "not enrolled");
        i.enrollment = Some(&audit);
        assert_eq!(decide(&i), Decision::Redirect(Redirect::UpgradeAndVerify), "enrolled, unpaid");
        i.message = Message::Upgrade;
        assert!(matches!(decide(&i), Decision::Show { .. }), "the upgrade page fits");
        i.enrollment = Some(&paid);
        assert_eq!(decide(&i), Decision::Redirect(Redirect::VerifyNow));
        i.enrollment = None;
        i.checkout_enabled = true;
        i.message = Message::FirstTimeVerify;
        assert_eq!(decide(&i), Decision::Redirect(Redirect::Checkout { sku: "SKU1".into() }));
        i.account_active = false;
        assert!(matches!(decide(&i), Decision::Show { .. }), "inactive accounts activate before paying");
    }

    #[test]
    fn deadlines_and_modes() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).expect("a time");
        let m = modes(now);
        let mut i = input(&m, now, Message::VerifyNow);
        i.verification_deadline = Some(now - Duration::hours(1));
        assert!(matches!(decide(&i), Decision::DeadlinePassed { kind: DeadlineKind::Verification, .. }));
        let expired = vec![CourseMode {
            slug: "verified".into(),
            min_price: 100,
            sku: None,
            expiration: Some(now - Duration::days(1)),
        }];
        let mut i = input(&expired, now, Message::Upgrade);
        assert!(matches!(decide(&i), Decision::DeadlinePassed { kind: DeadlineKind::Upgrade, .. }));
        i.message = Message::VerifyLater;
        assert_eq!(decide(&i), Decision::Redirect(Redirect::StartFlow), "the upgrade deadline only stops payers");
        let free = vec![CourseMode { slug: "audit".into(), min_price: 0, sku: None, expiration: None }];
        assert_eq!(decide(&input(&free, now, Message::FirstTimeVerify)), Decision::NoPaidMode);
        let credit = vec![CourseMode { slug: "credit".into(), min_price: 100, sku: None, expiration: None }];
        assert_eq!(decide(&input(&credit, now, Message::FirstTimeVerify)), Decision::NoPaidMode);
    }

    #[test]
    fn professional_track_without_verification_skips_photo_steps() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).expect("a time");
        let m = vec![CourseMode { slug: "no-id-professional".into(), min_price: 100, sku: None, expiration: None }];
        assert_eq!(
            steps(&decide(&input(&m, now, Message::FirstTimeVerify))),
            ["make-payment-step", "payment-confirmation-step"]
        );
    }
}
