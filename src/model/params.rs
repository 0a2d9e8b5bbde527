//! The behavioural parameters of the model (`[params]` in a scenario file).
//!
//! Every number the rules use lives here, with its meaning, default and admissible range,
//! declared once: the struct, its serde defaults, the validation and the parameter table in
//! `liaison check --params` all come from the same list.

use serde::{Deserialize, Serialize};

/// Description of one model parameter: used for validation and documentation.
#[derive(Debug, Clone, Copy)]
pub struct ParamInfo {
    /// Key in the `[params]` table.
    pub name: &'static str,
    /// Default value when the scenario does not set it.
    pub default: f64,
    /// Smallest admissible value.
    pub min: f64,
    /// Largest admissible value.
    pub max: f64,
    /// What the parameter means.
    pub doc: &'static str,
}

macro_rules! params {
    ($( $(#[doc = $doc:literal])+ $name:ident : $default:expr, [$min:expr, $max:expr]; )+) => {
        /// Behavioural parameters shared by every service and channel.
        ///
        /// See `docs/ODD.md` (submodels) for the equations that use them.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct Params {
            $( $(#[doc = $doc])+ pub $name: f64, )+
        }

        impl Default for Params {
            fn default() -> Self {
                Params { $( $name: $default, )+ }
            }
        }

        impl Params {
            /// Every parameter with its documentation, default and range, in declaration order.
            pub const INFO: &'static [ParamInfo] = &[
                $( ParamInfo {
                    name: stringify!($name),
                    default: $default,
                    min: $min,
                    max: $max,
                    doc: concat!($($doc),+),
                }, )+
            ];

            /// The current values, in the order of [`Params::INFO`].
            pub fn values(&self) -> Vec<f64> {
                vec![$( self.$name, )+]
            }
        }
    };
}

params! {
    /// Intercept of the logit of an officer's propensity to share in a step.
    share_intercept: -0.542, [-20.0, 20.0];
    /// Weight of the officer's personal trust in the counterpart in the sharing logit.
    share_trust_weight: 3.61, [0.0, 50.0];
    /// Weight of the officer's ambition in the sharing logit.
    share_ambition_weight: 0.976, [0.0, 50.0];
    /// Weight of the channel's common threat level in the sharing logit.
    share_threat_weight: 2.43, [0.0, 50.0];
    /// Weight of the service's engagement (from outreach) on the channel in the sharing logit.
    share_engagement_weight: 1.7, [0.0, 50.0];
    /// Weight of the officer's fear in the sharing logit (subtracted).
    share_fear_weight: 6.29, [0.0, 50.0];
    /// Weight of the service's secrecy in the sharing logit (subtracted).
    share_secrecy_weight: 2.3, [0.0, 50.0];
    /// Probability that a reciprocated exchange yields a joint success with no common threat.
    success_base: 0.117, [0.0, 1.0];
    /// Extra joint-success probability per unit of common threat on the channel.
    success_threat: 0.472, [0.0, 1.0];
    /// Share of the remaining distance to full trust both officers gain from a joint success.
    success_gain: 0.2, [0.0, 1.0];
    /// Share of the remaining distance to full trust both officers gain from a reciprocated exchange without success.
    reciprocity_gain: 0.0481, [0.0, 1.0];
    /// Per-step pull of every officer's trust toward the desk's memory level: trust that is not renewed fades.
    trust_drift: 0.0895, [0.0, 1.0];
    /// Per-step pull of institutional trust toward the mean trust of the service's officers on the desk.
    institutional_adaptation: 0.445, [0.0, 1.0];
    /// Share of a desk's memory level that a betrayal of weight 1 removes (scandal caught, political shock, mole hunt).
    memory_cut: 0.289, [0.0, 1.0];
    /// Share of the way back to the channel baseline a desk's memory heals per reciprocated exchange of each of its officers (good experience), or per unit of a joint-success event.
    memory_repair: 0.0073, [0.0, 1.0];
    /// Probability that an exchange is used by the counterpart for a recruitment attempt, per unit of its aggressiveness.
    recruit_attempt: 0.003, [0.0, 1.0];
    /// Probability that an uncaught recruitment attempt turns the officer, times (1 - fear).
    recruit_success: 0.3, [0.0, 1.0];
    /// Per-step probability that routine counterintelligence exposes a mole, per unit of vigilance plus suspicion.
    mole_detection: 0.01, [0.0, 1.0];
    /// Share of institutional trust a betrayal of weight 1 removes from the aggrieved desk.
    betrayal_trust_cut: 0.632, [0.0, 1.0];
    /// Share of personal trust a betrayal of weight 1 removes from the aggrieved desk's officers.
    betrayal_officer_cut: 0.343, [0.0, 1.0];
    /// Share of institutional trust the offender's desk loses in a scandal of weight 1 (expulsions, retaliation).
    backlash_cut: 0.537, [0.0, 1.0];
    /// Fear added (times 1 - fear) to the catching service's officers on the channel in a scandal of weight 1.
    scandal_fear: 0.1, [0.0, 1.0];
    /// Share of a scandal's fear felt by the catching service's officers on its other channels.
    fear_spread: 0.0628, [0.0, 1.0];
    /// Permission the catching service's government withdraws on the channel after a scandal of weight 1.
    scandal_permission_drop: 0.0157, [0.0, 1.0];
    /// Weight of a quiet (unpublicised) scandal relative to a public one.
    quiet_weight: 0.136, [0.0, 1.0];
    /// Per-step pull of an officer's fear back toward its disposition (the fear it was drawn with).
    fear_decay: 0.029, [0.0, 1.0];
    /// Per-step pull of a service's permission on each channel back toward its baseline.
    permission_recovery: 0.001, [0.0, 1.0];
    /// Per-step pull of a channel's threat level back toward its baseline.
    threat_decay: 0.0168, [0.0, 1.0];
    /// Per-step share of a service's engagement on a channel that fades.
    engagement_decay: 0.197, [0.0, 1.0];
    /// Per-step share of a service's counterintelligence suspicion that fades.
    suspicion_decay: 0.05, [0.0, 1.0];
    /// Probability, per unit of magnitude, that a mole hunt finds each mole among the hunting service's officers on the hunted channels.
    hunt_detection: 0.8, [0.0, 1.0];
    /// Share of a desk's officers, per unit of magnitude, that a mole hunt sweeps up (most exposed first).
    hunt_sweep: 0.628, [0.0, 1.0];
    /// Fear added (times 1 - fear) to every officer of the hunting service, per unit of magnitude.
    hunt_fear: 0.48, [0.0, 1.0];
    /// Exposure an expert accrues per contact relative to an officer (experts consult for many partners).
    expert_exposure: 2.0, [0.0, 100.0];
    /// Fear of a newcomer who replaces a removed officer.
    newcomer_fear: 0.9, [0.0, 1.0];
    /// Steps a removed officer's post stays empty before the newcomer takes up the liaison work (rounded half away from zero).
    vacancy_steps: 8.0, [0.0, 520.0];
    /// Permission a service's government grants on the outreach channels per unit of magnitude.
    outreach_permission: 0.08, [0.0, 1.0];
    /// Engagement added on the outreach channels per unit of magnitude.
    outreach_engagement: 2.69, [0.0, 10.0];
    /// Share of the way back to the channel baseline the reaching-out service's memory heals per unit of outreach magnitude (an apology, a code of conduct, a summit).
    outreach_repair: 0.0337, [0.0, 1.0];
    /// Permission a political shock withdraws on the shocked channels per unit of magnitude.
    shock_permission: 0.879, [0.0, 1.0];
    /// Fear added (times 1 - fear) to officers on the shocked channels per unit of magnitude.
    shock_fear: 0.683, [0.0, 1.0];
    /// Weight, per unit of magnitude, of the betrayal a political shock is to the shocked services' desks (a caught spy weighs 1).
    shock_betrayal: 0.9, [0.0, 1.0];
    /// Share of the remaining distance to full trust officers gain from a dated joint-success event, per unit of magnitude.
    event_success_gain: 0.233, [0.0, 1.0];
    /// Counterintelligence suspicion a leak adds per unit of magnitude.
    leak_suspicion: 0.5, [0.0, 1.0];
}
