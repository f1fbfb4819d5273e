"""May this porsi pass to me: the wizard (wizard), its state and policy (state), the document
checklist (checklist), the verdict's view (view) and the DOCX letters (docs)."""
