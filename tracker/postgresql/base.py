"""Django's PostgreSQL backend, with the limit that server-side binding brings.

Parameters bound on the server (settings: POSTGRES_PREPARED) are at most
65,535 a statement. Django already splits its own long lists for databases
that declare such a limit: deleting a claim's figures collects their parts in
batches, bulk inserts and in_bulk() go in batches. This backend declares it.
"""

from django.db.backends.postgresql import base, features, operations


class DatabaseFeatures(features.DatabaseFeatures):
    # PostgreSQL takes 65,535; batches leave room for a query's other parameters.
    max_query_params = 65_000


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields, objs):
        if fields:
            return self.connection.features.max_query_params // len(fields)
        return len(objs)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
