declare module 'parse-prometheus-text-format' {
  /** The families of a Prometheus text exposition (values as strings). */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
