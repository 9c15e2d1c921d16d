import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { RequestHandler } from 'express';
import type { Config } from './config';

/** Spans of Hookflow's own code (HTTP server and client); Temporal's come from its interceptors. */
const TRACER = 'hookflow';

/** The workflow side of Temporal's interceptors, bundled with the workflow code when tracing. */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

export interface Telemetry {
  tracer: otel.Tracer;
  /** Temporal client interceptors: a start carries the caller's span to the workflow. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** Worker options: activity spans, and the sink that exports the workflow's spans. */
  worker: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  shutdown(): Promise<void>;
}

let active: Telemetry | null = null;

/** Whether tracing was started in this process (off by default). */
export const isTracing = () => active !== null;

/** This process's tracing, when started. */
export const currentTelemetry = () => active;

/**
 * The exporter the OTEL_* settings ask for, or null when tracing is off: off unless
 * OTEL_TRACES_EXPORTER is `otlp` or `console`, or an OTLP endpoint is set; OTEL_SDK_DISABLED
 * turns it off whatever else is set.
 */
export function exporterFromConfig(config: Config): SpanExporter | null {
  if (config.OTEL_SDK_DISABLED) return null;
  const endpoint =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT && `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  const kind = config.OTEL_TRACES_EXPORTER ?? (endpoint ? 'otlp' : 'none');
  if (kind === 'console') return new ConsoleSpanExporter();
  if (kind === 'otlp') return new OTLPTraceExporter(endpoint ? { url: endpoint } : {});
  return null;
}

/**
 * Starts tracing for this process (once): W3C trace context, spans kept across async calls,
 * batched export. `exporter` overrides the configured one (tests use an in-memory exporter).
 */
export function startTelemetry(config: Config, override?: SpanExporter): Telemetry | null {
  if (active) return active;
  const exporter = override ?? exporterFromConfig(config);
  if (!exporter) return null;
  const resource = new Resource({ 'service.name': config.OTEL_SERVICE_NAME });
  const processor: SpanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 });
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
  const tracer = otel.trace.getTracer(TRACER);
  active = {
    tracer,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    worker: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    async shutdown() {
      active = null;
      await provider.shutdown();
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
  return active;
}

/** A SERVER span per API request, continuing the caller's trace (`traceparent`). */
export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    const parent = otel.propagation.extract(otel.context.active(), req.headers);
    const span = otel.trace
      .getTracer(TRACER)
      .startSpan(
        `${req.method} ${req.path}`,
        { kind: otel.SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
        parent,
      );
    res.on('finish', () => {
      const route = req.route?.path as string | undefined;
      if (route) span.updateName(`${req.method} ${req.baseUrl}${route}`);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.end();
    });
    otel.context.with(otel.trace.setSpan(parent, span), next);
  };
}

/**
 * Runs an outgoing webhook request in a CLIENT span and gives it the headers that carry the
 * trace to the receiver (`traceparent`), so a receiver that traces continues the producer's trace.
 */
export async function traceSend<T>(
  method: string,
  url: string,
  send: (headers: Record<string, string>) => Promise<T>,
  status: (r: T) => number | null,
): Promise<T> {
  if (!active) return send({});
  return active.tracer.startActiveSpan(
    `${method}`,
    { kind: otel.SpanKind.CLIENT, attributes: { 'http.request.method': method, 'url.full': url } },
    async (span) => {
      const headers: Record<string, string> = {};
      otel.propagation.inject(otel.context.active(), headers);
      try {
        const result = await send(headers);
        const code = status(result);
        if (code !== null) span.setAttribute('http.response.status_code', code);
        if (code === null || code >= 400) span.setStatus({ code: otel.SpanStatusCode.ERROR });
        return result;
      } finally {
        span.end();
      }
    },
  );
}
