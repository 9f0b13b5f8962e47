// Runs an ASL definition with aws-local-stepfunctions, an independent
// interpreter, so shared/local/asl's difftest can compare the two.
//
//   node run.mjs DEFINITION.json INPUT.json TASKS.json
//
// TASKS.json is keyed by Task state name; each value is the task's result,
// or {"Error":"X","Cause":"y"} to make it fail, or an array of such values
// used one per invocation (the last repeats). Tasks not listed return their
// input. Wait states and retry intervals are overridden to zero so nothing
// sleeps. Prints {"output","states","error","cause"} as JSON.
import { readFileSync } from 'node:fs';
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

const [defFile, inputFile, tasksFile] = process.argv.slice(2);
if (!defFile) {
  console.error('usage: node run.mjs DEFINITION.json [INPUT.json] [TASKS.json]');
  process.exit(2);
}
const definition = JSON.parse(readFileSync(defFile, 'utf8'));
const input = inputFile ? JSON.parse(readFileSync(inputFile, 'utf8')) : {};
const tasks = tasksFile ? JSON.parse(readFileSync(tasksFile, 'utf8')) : {};

const isFailure = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && 'Error' in v &&
  Object.keys(v).every((k) => k === 'Error' || k === 'Cause');

const taskResourceLocalHandlers = {};
const waitTimeOverrides = {};
const retryIntervalOverrides = {};

// Walk every States block, including Parallel branches and Map iterators.
function visit(block) {
  for (const [name, state] of Object.entries(block.States ?? {})) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = 0;
    if (state.Retry) retryIntervalOverrides[name] = 0;
    if (state.Type === 'Task') {
      const script = name in tasks ? tasks[name] : undefined;
      const seq = Array.isArray(script) ? script : script === undefined ? undefined : [script];
      let used = 0;
      taskResourceLocalHandlers[name] = (taskInput) => {
        if (!seq) return taskInput;
        const v = seq[Math.min(used++, seq.length - 1)];
        if (isFailure(v)) {
          const err = new Error(v.Cause ?? '');
          err.name = v.Error;
          throw err;
        }
        return v;
      };
    }
    for (const b of state.Branches ?? []) visit(b);
    if (state.Iterator) visit(state.Iterator);
    if (state.ItemProcessor) visit(state.ItemProcessor);
  }
}
visit(definition);

const sm = new StateMachine(definition, { validationOptions: { checkArn: false } });
const execution = sm.run(input, {
  overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
  context: { Execution: { Input: input, Name: 'diff', Id: 'diff' } },
});

const states = [];
const logs = (async () => {
  for await (const ev of execution.eventLogs) {
    if (ev.type === 'StateEntered') states.push(ev.state.name);
  }
})();

const out = { output: null, states, error: null, cause: null };
try {
  out.output = await execution.result;
} catch (err) {
  const inner = err?.cause ?? err;
  out.error = inner?.name ?? String(err);
  out.cause = inner?.message ?? '';
}
await Promise.race([logs, new Promise((r) => setTimeout(r, 200))]);
process.stdout.write(JSON.stringify(out) + '\n');
