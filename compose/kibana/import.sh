#!/bin/sh
# Imports Vigil's saved objects (data view, "Vigil detections" dashboard, saved searches) into Kibana.
# The data view covers the event indices of the configured cluster.eventStore.indexPrefix (read from the Vigil
# configuration file), so a prefix other than "vigil" still shows its events. The import API answers HTTP 200 even
# when objects fail ({"success":false,"errors":[...]}): the answer is checked, and the job fails with Kibana's errors.
set -eu
KIBANA_URL=${KIBANA_URL:-http://kibana:5601}
CONFIG=${VIGIL_CONFIG:-/etc/vigil/cluster.yaml}
OBJECTS=${SAVED_OBJECTS:-/saved-objects.ndjson}
prefix=''
if [ -r "$CONFIG" ]; then
  prefix=$(sed -n 's/^[[:space:]]*indexPrefix:[[:space:]]*["'"'"']\{0,1\}\([a-z][a-z0-9_-]*\).*/\1/p' "$CONFIG" | head -n 1)
fi
prefix=${prefix:-vigil}
rendered=$(mktemp)
sed "s/\"title\":\"vigil-events\*\"/\"title\":\"${prefix}-events*\"/" "$OBJECTS" > "$rendered"
until curl -fs -u "elastic:${ELASTIC_PASSWORD}" "$KIBANA_URL/api/status" | grep -q '"level":"available"'; do
  echo 'waiting for Kibana'; sleep 5
done
answer=$(curl -fsS -u "elastic:${ELASTIC_PASSWORD}" -H 'kbn-xsrf: vigil' \
  -X POST "$KIBANA_URL/api/saved_objects/_import?overwrite=true" \
  --form "file=@${rendered};filename=saved-objects.ndjson")
rm -f "$rendered"
echo "$answer"
case "$answer" in
  *'"success":true'*) echo "Kibana saved objects imported (data view ${prefix}-events*)" ;;
  *) echo 'Kibana refused some saved objects (see "errors" above)' >&2; exit 1 ;;
esac
