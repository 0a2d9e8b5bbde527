//! How each kind of dated event feeds the model's mechanisms. No event sets trust: events
//! move threat, permission, engagement, suspicion and fear, or trigger the same betrayal,
//! scandal, success and mole-hunt rules that endogenous dynamics use.

use super::streams::Stream;
use super::{Model, Scandal, rules};
use crate::scenario::EventKind;

impl<const R: usize> Model<'_, R> {
    /// Applies event `index` of the scenario at the current step to the run in lane `lane`.
    pub(super) fn apply_event(&mut self, index: usize, lane: usize) {
        let scenario = self.scenario;
        let event = &scenario.events[index];
        let p = &scenario.params;
        let m = event.magnitude;
        // The event's own stream, read from word `step·2³²`: other events' draws never shift.
        let first = u64::from(self.step) << 32;
        let (keys, run) = (self.keys, self.runs[lane].run);
        let event_stream = || Stream::new(&keys.events[index], run);
        let n_services = scenario.services.len();
        match event.kind {
            EventKind::CommonThreat => {
                for &c in &event.channels {
                    let threat = &mut self.runs[lane].threat[c];
                    *threat = (*threat + m).min(1.0);
                }
            }
            EventKind::JointSuccess => {
                for &c in &event.channels {
                    let baseline = scenario.channels[c].spec.baseline_trust;
                    let mut involved_any = false;
                    for (spec, desk) in scenario.desks.iter().zip(&mut self.desks) {
                        let involved = spec.channel == c
                            && event.services.contains(&spec.service)
                            && event.services.contains(&spec.counterpart);
                        if !involved {
                            continue;
                        }
                        involved_any = true;
                        for trust in desk.officers.trust_mut(lane) {
                            *trust = rules::gain(*trust, p.event_success_gain * m);
                        }
                        let desk = &mut desk.runs[lane];
                        desk.memory = rules::heal(desk.memory, baseline, p.memory_repair, m);
                    }
                    // Counted only where two listed services cooperate on the channel.
                    self.runs[lane].successes[c] += u32::from(involved_any);
                }
            }
            EventKind::SpyScandal => {
                let u_public = event_stream().uniform(first);
                for &catcher in &event.services {
                    let public = event
                        .public
                        .unwrap_or(u_public < scenario.services[catcher].spec.publicity);
                    for &accused in &event.against {
                        for &channel in &event.channels {
                            let weight = rules::scandal_weight(p, m, public);
                            let scandal = Scandal {
                                channel,
                                catcher,
                                accused,
                                weight,
                            };
                            self.scandal(scandal, lane);
                        }
                    }
                }
            }
            EventKind::PoliticalShock => {
                for &s in &event.services {
                    for &c in &event.channels {
                        let permission = &mut self.runs[lane].permission[c * n_services + s];
                        *permission = (*permission - p.shock_permission * m).max(0.0);
                    }
                }
                // The shocked services' desks on the shocked channels feel betrayed, and their
                // officers grow wary.
                for d in 0..self.desks.len() {
                    let spec = &scenario.desks[d];
                    if event.services.contains(&spec.service)
                        && event.channels.contains(&spec.channel)
                    {
                        self.betray(d, p.shock_betrayal * m, lane);
                        for fear in self.desks[d].officers.fear_mut(lane) {
                            *fear = rules::gain(*fear, p.shock_fear * m);
                        }
                    }
                }
            }
            EventKind::Outreach => {
                for &s in &event.services {
                    for &c in &event.channels {
                        let run = &mut self.runs[lane];
                        let permission = &mut run.permission[c * n_services + s];
                        *permission = (*permission + p.outreach_permission * m).min(1.0);
                        run.engagement[c * n_services + s] += p.outreach_engagement * m;
                    }
                }
                // Political will to reopen heals the reaching-out services' memory of past
                // ruptures on those channels (it never raises it past the baseline).
                for (spec, desk) in scenario.desks.iter().zip(&mut self.desks) {
                    if event.services.contains(&spec.service)
                        && event.channels.contains(&spec.channel)
                    {
                        let baseline = scenario.channels[spec.channel].spec.baseline_trust;
                        let desk = &mut desk.runs[lane];
                        desk.memory = rules::heal(desk.memory, baseline, p.outreach_repair, m);
                    }
                }
            }
            EventKind::Leak => {
                for &s in &event.services {
                    let suspicion = &mut self.runs[lane].suspicion[s];
                    *suspicion = (*suspicion + p.leak_suspicion * m).min(1.0);
                }
            }
            EventKind::MoleHunt => {
                let mut rng = event_stream();
                let u_public = rng.uniform(first);
                // Words after the first: one per officer ranked, hunt after hunt.
                let mut next = first + 1;
                for &hunter in &event.services {
                    let public = event
                        .public
                        .unwrap_or(u_public < scenario.services[hunter].spec.publicity);
                    for &channel in &event.channels {
                        let hunt = Hunt {
                            hunter,
                            channel,
                            m,
                            public,
                        };
                        self.hunt(hunt, lane, &mut rng, &mut next);
                    }
                    // Fear spreads through the whole hunting service, not only the hunted channels.
                    for (spec, desk) in scenario.desks.iter().zip(&mut self.desks) {
                        if spec.service == hunter {
                            for fear in desk.officers.fear_mut(lane) {
                                *fear = rules::gain(*fear, p.hunt_fear * m);
                            }
                        }
                    }
                }
            }
        }
    }

    /// A mole hunt (`hunt`) in the run in lane `lane`: the hunting desks feel betrayed (the
    /// partner is suspected of recruiting their people), moles are found with some
    /// probability, the most exposed innocents are swept up; all leave and newcomers take their
    /// posts.
    fn hunt(&mut self, hunt: Hunt, lane: usize, rng: &mut Stream, next: &mut u64) {
        let scenario = self.scenario;
        let p = &scenario.params;
        let Hunt {
            hunter,
            channel,
            m,
            public,
        } = hunt;
        for d in 0..self.desks.len() {
            let spec = &scenario.desks[d];
            if spec.service != hunter || spec.channel != channel {
                continue;
            }
            self.betray(d, m, lane);
            let officers = &self.desks[d].officers;
            let n = officers.len();
            // Rank by exposure, most exposed first; ties by slot for determinism.
            self.ranking.clear();
            self.ranking.extend(0..n);
            let exposure = |slot: usize| officers.exposure[officers.entry(slot, lane)];
            self.ranking
                .sort_unstable_by(|&x, &y| exposure(y).total_cmp(&exposure(x)).then(x.cmp(&y)));
            let sweep = rules::sweep_count(p, m, n);
            let mut swept = 0;
            for rank in 0..n {
                let slot = self.ranking[rank];
                // One word per ranked officer, so the words do not depend on who is a mole.
                let u_find = rng.uniform(*next);
                *next += 1;
                let officers = &self.desks[d].officers;
                let mole = officers.mole[officers.entry(slot, lane)];
                if mole && u_find < p.hunt_detection * m {
                    self.runs[lane].pending.push(Scandal {
                        channel,
                        catcher: hunter,
                        accused: spec.counterpart,
                        weight: rules::scandal_weight(p, m, public),
                    });
                    self.replace(d, slot, lane);
                } else if !mole && swept < sweep {
                    swept += 1;
                    self.replace(d, slot, lane);
                }
            }
        }
    }
}

/// A mole hunt by `hunter` on `channel`, of magnitude `m`, made public or not.
#[derive(Debug, Clone, Copy)]
struct Hunt {
    hunter: usize,
    channel: usize,
    m: f64,
    public: bool,
}
