//! Visits every [`Props`] inside an activity (the activity, its actor, objects, targets,
//! nested activities and authors), so policies are written once, not per shape.

use crate::model::{Activity, Actor, Node, Object, Props};

/// Calls `f` on every `Props` reachable from `activity`, outermost first.
pub fn each_props_mut(activity: &mut Activity, f: &mut impl FnMut(&mut Props)) {
    each_owned_props_mut(activity, &mut |p, _| f(p));
}

/// Whose properties a [`Props`] is: actors' `summary` is a bio in HTML, everyone else's a
/// plain-text content warning, so some policies must tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// An actor (the activity's actor, an author, or an actor object).
    Actor,
    /// An activity or a non-actor object.
    Other,
}

/// Like [`each_props_mut`], telling `f` whether the props belong to an actor.
pub fn each_owned_props_mut(activity: &mut Activity, f: &mut impl FnMut(&mut Props, Owner)) {
    f(&mut activity.props, Owner::Other);
    visit_author(&mut activity.props, f);
    if let Some(actor) = activity.actor.as_deref_mut() {
        actor_props(actor, f);
    }
    for node in [
        activity.object.as_deref_mut(),
        activity.target.as_deref_mut(),
    ]
    .into_iter()
    .flatten()
    {
        node_props(node, f);
    }
}

fn actor_props(actor: &mut Actor, f: &mut impl FnMut(&mut Props, Owner)) {
    f(&mut actor.props, Owner::Actor);
    visit_author(&mut actor.props, f);
}

fn node_props(node: &mut Node, f: &mut impl FnMut(&mut Props, Owner)) {
    match node {
        Node::Ref(_) => {}
        Node::Object(o) => {
            f(&mut o.props, Owner::Other);
            visit_author(&mut o.props, f);
        }
        Node::Actor(a) => actor_props(a, f),
        Node::Activity(a) => each_owned_props_mut(a, f),
    }
}

fn visit_author(props: &mut Props, f: &mut impl FnMut(&mut Props, Owner)) {
    if let Some(author) = props.author.as_deref_mut() {
        actor_props(author, f);
    }
}

/// Calls `f` on every actor reachable from `activity` (actor, authors, actor objects).
pub fn each_actor_mut(activity: &mut Activity, f: &mut impl FnMut(&mut Actor)) {
    if let Some(actor) = activity.actor.as_deref_mut() {
        f(actor);
    }
    if let Some(author) = activity.props.author.as_deref_mut() {
        f(author);
    }
    for node in [
        activity.object.as_deref_mut(),
        activity.target.as_deref_mut(),
    ]
    .into_iter()
    .flatten()
    {
        match node {
            Node::Ref(_) => {}
            Node::Object(o) => {
                if let Some(author) = o.props.author.as_deref_mut() {
                    f(author);
                }
            }
            Node::Actor(a) => f(a),
            Node::Activity(a) => each_actor_mut(a, f),
        }
    }
}

/// Calls `f` on every `Node::Ref` id reachable from `activity`.
pub fn each_ref_mut(activity: &mut Activity, f: &mut impl FnMut(&mut String)) {
    for node in [
        activity.object.as_deref_mut(),
        activity.target.as_deref_mut(),
    ]
    .into_iter()
    .flatten()
    {
        match node {
            Node::Ref(id) => f(id),
            Node::Activity(a) => each_ref_mut(a, f),
            Node::Object(_) | Node::Actor(_) => {}
        }
    }
}

/// Calls `f` on every plain object reachable from `activity` (objects and targets, also
/// inside nested activities), for policies that depend on the object's kind.
pub fn each_object_mut(activity: &mut Activity, f: &mut impl FnMut(&mut Object)) {
    for node in [
        activity.object.as_deref_mut(),
        activity.target.as_deref_mut(),
    ]
    .into_iter()
    .flatten()
    {
        match node {
            Node::Object(o) => f(o),
            Node::Activity(a) => each_object_mut(a, f),
            Node::Ref(_) | Node::Actor(_) => {}
        }
    }
}
