#!/bin/sh
# Re-vendor the map libraries from package-lock.json into the web package's static folder.
# The app serves these files itself: nothing is fetched from a CDN when it runs.
set -eu
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
vendor=src/plateledger/web/static/vendor
rm -rf "$vendor/leaflet" "$vendor/leaflet.markercluster"
mkdir -p "$vendor/leaflet/images" "$vendor/leaflet.markercluster"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
   node_modules/leaflet/LICENSE "$vendor/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$vendor/leaflet/images/"
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
   node_modules/leaflet.markercluster/dist/MarkerCluster.css \
   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css \
   node_modules/leaflet.markercluster/MIT-LICENCE.txt "$vendor/leaflet.markercluster/"
# The PMTiles reader and its Leaflet renderer, for an operator's offline basemap file.
# pmtiles ships no licence file: its package.json names BSD-3-Clause, the licence (and
# copyright holder, Protomaps LLC) of protomaps-leaflet's LICENSE, which is kept with both.
rm -rf "$vendor/pmtiles" "$vendor/protomaps-leaflet"
mkdir -p "$vendor/pmtiles" "$vendor/protomaps-leaflet"
cp node_modules/pmtiles/dist/pmtiles.js node_modules/pmtiles/package.json \
   node_modules/protomaps-leaflet/LICENSE "$vendor/pmtiles/"
cp node_modules/protomaps-leaflet/dist/protomaps-leaflet.js \
   node_modules/protomaps-leaflet/LICENSE "$vendor/protomaps-leaflet/"
