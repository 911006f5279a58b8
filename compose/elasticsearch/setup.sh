#!/bin/sh
# Sets the kibana_system password so Kibana can connect (Elasticsearch 8 with security on).
set -eu
until curl -fsu "elastic:${ELASTIC_PASSWORD}" -H 'content-type: application/json' \
  -X POST http://elasticsearch:9200/_security/user/kibana_system/_password \
  -d "{\"password\":\"${KIBANA_SYSTEM_PASSWORD}\"}" > /dev/null; do
  echo 'waiting for Elasticsearch security'; sleep 5
done
echo 'kibana_system password set'
