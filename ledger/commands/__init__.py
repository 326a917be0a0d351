"""The command handlers — lệnh ghi: one module per resource, each handler a function of the store
(:class:`ledger.store.LedgerStore`) and the command's fields, bound as a method of
:class:`ledger.application.BenefitsLedger`. A handler validates its input, runs its decision in the
store's unit of work (:meth:`ledger.store.LedgerStore.update`) and returns what the entrance shows.
"""
