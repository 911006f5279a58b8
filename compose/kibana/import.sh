#!/bin/sh
# Imports Vigil's saved objects (data view, "Vigil detections" dashboard, saved searches) into Kibana. The import API
# answers HTTP 200 even when objects fail ({"success":false,"errors":[...]}): the answer is checked, and the job
# fails with Kibana's errors.
set -eu
until curl -fs -u "elastic:${ELASTIC_PASSWORD}" http://kibana:5601/api/status | grep -q '"level":"available"'; do
  echo 'waiting for Kibana'; sleep 5
done
answer=$(curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H 'kbn-xsrf: vigil' \
  -X POST 'http://kibana:5601/api/saved_objects/_import?overwrite=true' \
  --form file=@/saved-objects.ndjson)
echo "$answer"
case "$answer" in
  *'"success":true'*) echo 'Kibana saved objects imported' ;;
  *) echo 'Kibana refused some saved objects (see "errors" above)' >&2; exit 1 ;;
esac
