/**
 * Smoke test of the TypeScript client against a live daemon. Prints one line per check, then a
 * summary; exits 0 only if every check passed (1 if one failed, 2 for bad usage).
 *
 * Checks: grpc.health.v1 Check("") is SERVING on each given transport; the run token is exchanged
 * for a run session; the credential of --connector is released on each transport with at least one
 * non-empty field (only field NAMES are printed); --denied-connector answers PERMISSION_DENIED.
 * With --health-only, only the health checks run and no token is needed.
 *
 * The run token comes from $FLOW_RUN_TOKEN (preferred: a command line is visible to other
 * processes) or --token. Each token can be exchanged once.
 *
 *   FLOW_RUN_TOKEN=... node dist/smoke/smoke.js --unix /path/sidecar.sock --tcp 127.0.0.1:50051
 */
import { parseArgs } from "node:util";
import {
  FlowSidecarClient,
  FlowSidecarError,
  HealthCheckResponse_ServingStatus,
  PermissionDenied,
  identityV1,
} from "../src/index";

interface Transport {
  name: string;
  client: FlowSidecarClient;
}

class Checks {
  passed = 0;
  failed = 0;

  /** Prints PASS with the detail the check returns, or FAIL with what it threw. */
  async run(name: string, check: () => Promise<string>): Promise<void> {
    try {
      const detail = await check();
      console.log(`PASS ${name}: ${detail}`);
      this.passed++;
    } catch (e) {
      const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      console.log(`FAIL ${name}: ${what}`);
      this.failed++;
    }
  }
}

function usage(message: string): never {
  console.error(`smoke: ${message}`);
  console.error(
    "usage: smoke.js [--unix PATH] [--tcp HOST:PORT] [--token TOKEN] [--health-only]" +
      " [--connector ID] [--denied-connector ID]",
  );
  process.exit(2);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        unix: { type: "string" },
        tcp: { type: "string" },
        token: { type: "string" },
        "health-only": { type: "boolean", default: false },
        connector: { type: "string", default: "demo-github" },
        "denied-connector": { type: "string", default: "demo-other" },
      },
      strict: true,
    }));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  if (!values.unix && !values.tcp) {
    usage("give --unix and/or --tcp");
  }
  const healthOnly = values["health-only"] === true;
  const token = values.token ?? process.env.FLOW_RUN_TOKEN ?? "";
  if (!healthOnly && !token) {
    usage("no run token: set FLOW_RUN_TOKEN or pass --token (or use --health-only)");
  }

  const transports: Transport[] = [];
  if (values.unix) {
    transports.push({ name: "unix", client: FlowSidecarClient.unix(values.unix) });
  }
  if (values.tcp) {
    const i = values.tcp.lastIndexOf(":");
    const host = values.tcp.slice(0, i).replace(/^\[|\]$/g, "");
    transports.push({ name: "tcp", client: FlowSidecarClient.tcp(host, Number(values.tcp.slice(i + 1))) });
  }

  const checks = new Checks();
  try {
    for (const t of transports) {
      await checks.run(`health ${t.name}`, async () => {
        const st = await t.client.health("");
        if (st !== HealthCheckResponse_ServingStatus.SERVING) {
          throw new Error(`status ${HealthCheckResponse_ServingStatus[st]}, want SERVING`);
        }
        return "SERVING";
      });
    }
    if (!healthOnly) {
      await smoke(checks, transports, token, values.connector ?? "demo-github", values["denied-connector"] ?? "demo-other");
    }
  } finally {
    for (const t of transports) {
      t.client.close();
    }
  }
  console.log(`typescript: ${checks.passed} passed, ${checks.failed} failed`);
  return checks.failed === 0 ? 0 : 1;
}

async function smoke(checks: Checks, transports: Transport[], runToken: string, connector: string, denied: string) {
  const primary = transports[0];
  let sessions: FlowSidecarClient[] = [];

  await checks.run(`exchange run token ${primary.name}`, async () => {
    const session = await primary.client.exchangeRunToken(runToken, "typescript-smoke");
    if (!session.token.startsWith("fss_")) {
      throw new Error("session token lacks the fss_ prefix");
    }
    sessions = transports.map((t) => t.client.withToken(session.token));
    const kind = identityV1.principalKindToJSON(session.principal?.kind ?? identityV1.PrincipalKind.PRINCIPAL_KIND_UNSPECIFIED);
    return `run session issued (principal ${kind}, tenant ${session.principal?.tenantId || "-"})`;
  });

  for (const [i, t] of transports.entries()) {
    await checks.run(`get credential ${connector} ${t.name}`, async () => {
      if (sessions.length === 0) {
        throw new Error("no run session (the exchange failed)");
      }
      const fields = await sessions[i].getCredential(connector);
      const names = Object.keys(fields).sort();
      if (!Object.values(fields).some((v) => v !== "")) {
        throw new Error(`no non-empty secret field (names: ${names.join(", ")})`);
      }
      return `fields ${names.join(", ")}`;
    });
  }

  await checks.run(`get credential ${denied} ${primary.name}`, async () => {
    if (sessions.length === 0) {
      throw new Error("no run session (the exchange failed)");
    }
    try {
      await sessions[0].getCredential(denied);
    } catch (e) {
      if (e instanceof PermissionDenied) {
        return "PERMISSION_DENIED";
      }
      if (e instanceof FlowSidecarError) {
        throw new Error(`got ${e.message}, want PERMISSION_DENIED`);
      }
      throw e;
    }
    throw new Error("credential released, want PERMISSION_DENIED");
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error("smoke:", e);
    process.exit(1);
  },
);
