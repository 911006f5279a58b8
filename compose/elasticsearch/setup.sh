#!/bin/sh
# Sets the kibana_system password so Kibana can connect (Elasticsearch 8 with security on), and creates the users the
# Vigil roles log in as: vigil_events (the events role) and vigil_api (the api role), each with a role limited to
# Vigil's indices (vigil-*). Both install the index template and ILM policy at start, hence the two cluster
# privileges; neither can read or change any other index.
set -eu
es() {
  curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H 'content-type: application/json' "$@"
}
until es -X POST http://elasticsearch:9200/_security/user/kibana_system/_password \
  -d "{\"password\":\"${KIBANA_SYSTEM_PASSWORD}\"}" > /dev/null; do
  echo 'waiting for Elasticsearch security'; sleep 5
done
echo 'kibana_system password set'

es -X PUT http://elasticsearch:9200/_security/role/vigil_events -d '{
  "cluster": ["monitor", "manage_ilm", "manage_index_templates"],
  "indices": [{ "names": ["vigil-*"], "privileges": ["create_index", "read", "write", "view_index_metadata", "manage_ilm"] }]
}' > /dev/null
es -X PUT http://elasticsearch:9200/_security/role/vigil_api -d '{
  "cluster": ["monitor", "manage_ilm", "manage_index_templates"],
  "indices": [{ "names": ["vigil-*"], "privileges": ["create_index", "read", "write", "view_index_metadata"] }]
}' > /dev/null
es -X PUT http://elasticsearch:9200/_security/user/vigil_events \
  -d "{\"password\":\"${VIGIL_EVENTS_ES_PASSWORD}\",\"roles\":[\"vigil_events\"]}" > /dev/null
es -X PUT http://elasticsearch:9200/_security/user/vigil_api \
  -d "{\"password\":\"${VIGIL_API_ES_PASSWORD}\",\"roles\":[\"vigil_api\"]}" > /dev/null
echo 'Vigil users vigil_events and vigil_api set'
