#!/bin/sh
# Imports Vigil's saved objects (data view, "Vigil detections" dashboard, saved searches) into Kibana.
set -eu
until curl -fs -u "elastic:${ELASTIC_PASSWORD}" http://kibana:5601/api/status | grep -q '"level":"available"'; do
  echo 'waiting for Kibana'; sleep 5
done
curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H 'kbn-xsrf: vigil' \
  -X POST 'http://kibana:5601/api/saved_objects/_import?overwrite=true' \
  --form file=@/saved-objects.ndjson
echo
echo 'Kibana saved objects imported'
