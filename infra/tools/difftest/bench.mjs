// Runs cxloop's real closed-loop definition (infra/statemachine/
// closed-loop.asl.json) N times in aws-local-stepfunctions, one execution
// after another, and prints the rate; shared/local/asl/sidebyside_test.go runs
// the same definition and path in cxloop's Go interpreter and compares.
//
//   node bench.mjs [N]     (N defaults to 300)
//
// Placeholders become fake Lambda ARNs (${XFunctionArn} → ...:function:X)
// and SlaHours "48". Every Task state is a local function returning canned
// results for one happy path: AssignOwner → WaitForOwner → Decide →
// RecordOutcome → NoteForCustomer → NotifyCustomer → RecoveryWanted →
// Closed. aws-local-stepfunctions has no task tokens, so WaitForOwner (a
// lambda:invoke.waitForTaskToken task) is a plain task returning the
// owner's decision, and $$.Task.Token comes from the context given to run.
// With a local handler it also returns the handler's value bare rather
// than AWS's {"Payload": ...}, so the lambda:invoke handlers return
// {"Payload": result} for the definition's ResultSelectors to read. And it
// reads TimeoutSecondsPath from the effective input (after Parameters), not
// the state input as AWS does, where $.task.wait_seconds does not resolve:
// the copy run here drops WaitForOwner's TimeoutSecondsPath (the library
// then applies its default timeout, which the happy path never reaches).
//
// Prints one JSON line: {"engine","executions","seconds",
// "executions_per_second","output","states"}, where output and states are
// those of an untimed first run. Each timed run's output is checked
// against it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node >= 22).
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const n = Number(process.argv[2] ?? 300);
if (!Number.isInteger(n) || n < 1) {
  console.error('usage: node bench.mjs [N]   (N: executions to time, default 300)');
  process.exit(2);
}
const warmup = Math.min(n, 20);

// The same input, substitutions and canned results as sidebyside_test.go.
const input = { response_id: 'rs_1', task_id: 'tk_1' };
const results = {
  AssignOwner: { task_id: 'tk_1', wait_seconds: 172800, final: false },
  WaitForOwner: { action: 'complete' },
  RecordOutcome: { note: true, recovery: false, recovery_wait_seconds: 0 },
  NotifyCustomer: {},
};

const defPath = fileURLToPath(new URL('../../statemachine/closed-loop.asl.json', import.meta.url));
const text = readFileSync(defPath, 'utf8').replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name) => {
  if (name === 'SlaHours') return '48';
  if (name.endsWith('FunctionArn')) {
    return `arn:aws:lambda:us-east-1:123456789012:function:${name.slice(0, -'FunctionArn'.length)}`;
  }
  throw new Error(`no value for placeholder \${${name}}`);
});
const definition = JSON.parse(text);
delete definition.States.WaitForOwner.TimeoutSecondsPath;

const taskResourceLocalHandlers = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type !== 'Task') continue;
  const tokenTask = state.Resource.endsWith('.waitForTaskToken');
  taskResourceLocalHandlers[name] = async () => {
    if (!(name in results)) throw Object.assign(new Error(`no canned result for ${name}`), { name: 'States.TaskFailed' });
    // A fresh copy each time: the interpreter must not share our objects.
    const r = structuredClone(results[name]);
    return tokenTask ? r : { Payload: r, StatusCode: 200 };
  };
}

const sm = new StateMachine(definition, { validationOptions: { checkArn: false } });

async function runOnce(i, withStates) {
  const execution = sm.run(input, {
    overrides: { taskResourceLocalHandlers },
    context: { Execution: { Input: input, Name: `bench-${i}`, Id: `bench-${i}` }, Task: { Token: `token-${i}` } },
  });
  const states = [];
  const logs = withStates
    ? (async () => {
        for await (const ev of execution.eventLogs) {
          if (ev.type === 'StateEntered') states.push(ev.state.name);
        }
      })()
    : null;
  const output = await execution.result;
  if (logs) await Promise.race([logs, new Promise((r) => setTimeout(r, 200))]);
  return { output, states };
}

const first = await runOnce(0, true);
const want = JSON.stringify(first.output);
for (let i = 1; i <= warmup; i++) await runOnce(i, false);

const start = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const { output } = await runOnce(warmup + 1 + i, false);
  if (JSON.stringify(output) !== want) {
    console.error(`execution ${i}: output ${JSON.stringify(output)}, first run gave ${want}`);
    process.exit(1);
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

process.stdout.write(
  JSON.stringify({
    engine: 'aws-local-stepfunctions',
    executions: n,
    seconds,
    executions_per_second: n / seconds,
    output: first.output,
    states: first.states,
  }) + '\n',
);
