// Package asl is a local interpreter for the Amazon States Language (ASL),
// the JSON language of AWS Step Functions state machines.
//
// cxloop runs the very same ASL file in AWS and on a developer's machine;
// this package is the local half. It is deliberately AWS-free and stdlib
// only, so that `cxloop dev` and the tests need no emulator.
//
// Nothing else serves here: the emulators run as a process of their own
// (Step Functions Local on a JVM, LocalStack in Docker) or keep executions
// in memory (aws-local-stepfunctions, on Node, which the difftest suite
// holds this package to); none runs Go handlers in process, and none
// both keeps a closed loop that waits for days across restarts of
// `cxloop dev` and lets a test jump over those days on a virtual clock.
//
// Three design rules shape the package:
//
//   - Refuse, never guess. [Parse] rejects any definition that uses a state
//     type, field, intrinsic function, JSONPath feature or Task resource this
//     interpreter does not implement, naming the state and the field. A state
//     machine that loads here runs the way it would in AWS, or it does not
//     load at all.
//   - Time is injected. Waits, retries and timeouts are deadlines computed
//     from a [Clock]; nothing sleeps. The caller drives time with
//     [Engine.Tick], so a virtual clock can fast-forward an SLA in a test.
//   - Executions are durable. Every execution is a tree of frames (one per
//     branch of a Parallel or iteration of a Map) serialised as JSON into an
//     [ExecutionStore] before every side effect and whenever it blocks, so a
//     new [Engine] over the same store resumes exactly where the old one
//     stopped.
package asl
