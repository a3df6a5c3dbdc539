"""Reports: kinds registered by plugins (``kinds``), the document they build (``document``),
and the renderers that turn a document into text, JSON, XLSX or a standalone HTML page."""
