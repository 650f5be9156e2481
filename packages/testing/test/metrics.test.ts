import t from 'tap';
import { metricValue } from '../src/index.js';

const exposition = [
  '# HELP gateway_connections_refused_total Client connections closed on arrival',
  '# TYPE gateway_connections_refused_total counter',
  'gateway_connections_refused_total{reason="address",service="gateway"} 3',
  'gateway_connections_refused_total{reason="total",service="gateway"} 208',
  'process_open_fds 41',
].join('\n');

t.test('a sample by name and the start of its labels', async (t) => {
  t.equal(metricValue(exposition, 'gateway_connections_refused_total{reason="total"'), 208);
  t.equal(metricValue(exposition, 'gateway_connections_refused_total'), 3, 'the first sample of a name with labels');
  t.equal(metricValue(exposition, 'process_open_fds'), 41, 'a sample without labels');
  t.equal(metricValue(exposition, 'gateway_connections_refused_total{reason="other"'), undefined);
  t.equal(metricValue(exposition, 'process_open'), undefined, 'a prefix of a name is not the name');
});
