"""Running kiemtin (above review/): ingest, crawl jobs, the scheduler, sources, health, the demo replay."""
